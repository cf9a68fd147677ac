// The start-up bench's "bundle loaded" row (bench/sections/30-startup.mjs): node runs a file that
// loads knock's loader (dist/knock.cjs, argv[2]) and has it compile and run the knock path's
// bundle from its code cache, as bin/knock does before its main; no command runs.
'use strict';
require(process.argv[2]).loadFast();
