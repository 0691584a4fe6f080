#!/bin/sh
# Debian's interpreter is the one with python3-scapy; the first python3 on PATH may lack it.
if [ ! -x /usr/bin/python3 ]; then
    echo "esp-scapy: /usr/bin/python3 is missing (install python3 and python3-scapy)" >&2
    exit 1
fi
exec /usr/bin/python3 "$@"
