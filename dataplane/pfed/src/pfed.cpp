// pfed's top-level object (to be written).
