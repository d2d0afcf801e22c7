// Root hooks: the Temporal servers that test/helpers/temporal.ts and time-skipping.ts start on first use are stopped once,
// after the whole run. Not imported up front, so runs that never touch Temporal never load the SDK.
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    const timeSkipping = require.cache[require.resolve('./time-skipping')];
    if (timeSkipping) await (timeSkipping.exports as typeof import('./time-skipping')).teardownTimeSkippingEnv();
    const temporal = require.cache[require.resolve('./temporal')];
    if (temporal) await (temporal.exports as typeof import('./temporal')).teardownTestEnv();
  },
};
