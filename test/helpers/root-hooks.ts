// Root hooks: the Temporal server that test/helpers/temporal.ts starts on first use is stopped once,
// after the whole run. Not imported up front, so runs that never touch Temporal never load the SDK.
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    const temporal = require.cache[require.resolve('./temporal')];
    if (temporal) await (temporal.exports as typeof import('./temporal')).teardownTestEnv();
  },
};
