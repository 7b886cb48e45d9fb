// Preloaded into the bundled CLI under test: its V8 code cache would write into the HOME that
// tests watch for stray files. HILT_CODE_CACHE=0 changes nothing else.
process.env.HILT_CODE_CACHE ??= "0";
