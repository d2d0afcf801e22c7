// Root hooks: shared set-up for the whole run (the Temporal dev server is started here once).
export const mochaHooks = {};
