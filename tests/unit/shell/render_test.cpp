#include <doctest/doctest.h>

#include <pugixml.hpp>

#include "msim/shell/render.hpp"

using namespace msim::shell;

namespace {

pugi::xml_document parse(const char* xml) {
    pugi::xml_document doc;
    REQUIRE(doc.load_string(xml));
    return doc;
}

const char* uptime = R"(<uptime-information>
  <date-time junos:seconds="1">11:36PM</date-time>
  <up-time junos:seconds="2">2 days,  5 hrs</up-time>
  <active-user-count junos:format="2 users">2</active-user-count>
  <load-average-1>0.00</load-average-1><load-average-5>0.01</load-average-5><load-average-15>0.02</load-average-15>
  <user-table>
    <user-entry><user>lab</user><tty>d0</tty><from>-</from><login-time>Mon10PM</login-time>
      <idle-time>2days</idle-time><command>-cli (cli)</command></user-entry>
    <user-entry><user>root</user><tty>pts/3</tty><from>-</from><login-time> 9:05PM</login-time>
      <idle-time>-</idle-time><command>-cli (cli)</command></user-entry>
  </user-table>
</uptime-information>)";

}  // namespace

TEST_CASE("show system users: w(1)'s columns under the uptime line") {
    const auto doc = parse((std::string("<rpc-reply><system-users-information>") + uptime +
                            "</system-users-information></rpc-reply>")
                               .c_str());
    CHECK(render_system_users(doc.child("rpc-reply")) ==
          "11:36PM  up 2 days,  5 hrs, 2 users, load averages: 0.00, 0.01, 0.02\n"
          "USER     TTY      FROM                              LOGIN@  IDLE WHAT\n"
          "lab      d0       -                                Mon10PM 2days -cli (cli)\n"
          "root     pts/3    -                                 9:05PM     - -cli (cli)\n");
}

TEST_CASE("show system uptime: times with their ages, then w(1)'s line") {
    const auto doc =
        parse((std::string("<rpc-reply><system-uptime-information>"
                           "<current-time><date-time>2021-08-31 08:48:11 UTC</date-time></current-time>"
                           "<system-booted-time><date-time>2021-03-29 13:32:05 UTC</date-time>"
                           "<time-length>22w0d 19:16</time-length></system-booted-time>"
                           "<last-configured-time><date-time>2021-07-13 16:35:35 UTC</date-time>"
                           "<time-length>6w6d 16:12</time-length><user>admin</user>"
                           "</last-configured-time>") +
               uptime + "</system-uptime-information></rpc-reply>")
                  .c_str());
    CHECK(render_system_uptime(doc.child("rpc-reply")) ==
          "Current time: 2021-08-31 08:48:11 UTC\n"
          "System booted: 2021-03-29 13:32:05 UTC (22w0d 19:16 ago)\n"
          "Last configured: 2021-07-13 16:35:35 UTC (6w6d 16:12 ago) by admin\n"
          "11:36PM  up 2 days,  5 hrs, 2 users, load averages: 0.00, 0.01, 0.02\n");
}
