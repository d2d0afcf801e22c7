import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, describeConfig } from '../../src/config';
import { connectionOptions } from '../../src/temporal/connection-options';

/** temporal.toml profile → config.temporal → the options every connection (client, worker, CLI) is made with. */
describe('Temporal connection profiles (temporal.toml)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'temporal-profile-'));
  const certPath = join(dir, 'client.pem');
  const keyPath = join(dir, 'client.key');
  writeFileSync(certPath, '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
  writeFileSync(keyPath, '-----BEGIN PRIVATE KEY-----\nclient\n-----END PRIVATE KEY-----\n');
  const file = join(dir, 'temporal.toml');
  writeFileSync(
    file,
    `
[profile.default]
address = "127.0.0.1:7333"
namespace = "retail-dev"

[profile.cloud-apikey]
address = "retail-prod.a1b2c.tmprl.cloud:7233"
namespace = "retail-prod.a1b2c"
api_key = "profile-api-key"

[profile.cloud-mtls]
address = "retail-staging.a1b2c.tmprl.cloud:7233"
namespace = "retail-staging.a1b2c"
[profile.cloud-mtls.tls]
client_cert_path = "${certPath}"
client_key_path = "${keyPath}"
server_name = "retail-staging.a1b2c.tmprl.cloud"

[profile.selfhosted]
address = "temporal-frontend.temporal.svc:7233"
namespace = "retail-staging"
[profile.selfhosted.tls]
server_ca_cert_data = "-----BEGIN CERTIFICATE-----\\nprivate-ca\\n-----END CERTIFICATE-----\\n"
[profile.selfhosted.grpc_meta]
x-retail-env = "staging"

[profile.plaintext]
address = "10.0.0.5:7233"
api_key = "behind-a-proxy"
[profile.plaintext.tls]
disabled = true
`,
  );

  it('reads no file unless TEMPORAL_PROFILE or TEMPORAL_CONFIG_FILE asks for one', async () => {
    // A default-location file with a profile that would redirect everything.
    const home = mkdtempSync(join(tmpdir(), 'temporal-home-'));
    mkdirSync(join(home, '.config', 'temporalio'), { recursive: true });
    writeFileSync(join(home, '.config', 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "elsewhere:7233"\n');
    const config = configFromEnv({ HOME: home, XDG_CONFIG_HOME: join(home, '.config') });
    assert.equal(config.temporal.address, undefined);
    assert.equal(config.temporal.namespace, 'default');
    assert.deepEqual(await connectionOptions(config), { address: '127.0.0.1:7233' });
    // Named, the default-location file is read.
    assert.equal(configFromEnv({ HOME: home, XDG_CONFIG_HOME: join(home, '.config'), TEMPORAL_PROFILE: 'default' }).temporal.address, 'elsewhere:7233');
  });

  it('takes the "default" profile of TEMPORAL_CONFIG_FILE when no profile is named', async () => {
    const config = configFromEnv({ TEMPORAL_CONFIG_FILE: file });
    assert.equal(config.temporal.namespace, 'retail-dev');
    assert.deepEqual(await connectionOptions(config), { address: '127.0.0.1:7333' });
  });

  it('Temporal Cloud with an API key: TLS on, key passed, namespace from the profile', async () => {
    const config = configFromEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud-apikey' });
    assert.equal(config.temporal.namespace, 'retail-prod.a1b2c');
    assert.deepEqual(await connectionOptions(config), { address: 'retail-prod.a1b2c.tmprl.cloud:7233', tls: true, apiKey: 'profile-api-key' });
    assert.equal((describeConfig(config).temporal as Record<string, unknown>).apiKey, '***');
  });

  it('Temporal Cloud with mTLS: the client pair read from the profile paths, the server name kept', async () => {
    const options = await connectionOptions(configFromEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud-mtls' }));
    assert.equal(options.address, 'retail-staging.a1b2c.tmprl.cloud:7233');
    assert.ok(options.tls && typeof options.tls === 'object');
    assert.equal(options.tls.serverNameOverride, 'retail-staging.a1b2c.tmprl.cloud');
    assert.match(options.tls.clientCertPair!.crt.toString(), /BEGIN CERTIFICATE/);
    assert.match(options.tls.clientCertPair!.key.toString(), /BEGIN PRIVATE KEY/);
    assert.equal(options.apiKey, undefined);
  });

  it('self-hosted with a private CA given inline and gRPC headers; a disabled [tls] wins over an API key', async () => {
    const config = configFromEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'selfhosted' });
    const options = await connectionOptions(config);
    assert.ok(options.tls && typeof options.tls === 'object');
    assert.match(options.tls.serverRootCACertificate!.toString(), /private-ca/);
    assert.equal(options.tls.clientCertPair, undefined);
    assert.deepEqual(options.metadata, { 'x-retail-env': 'staging' });
    const plaintext = await connectionOptions(configFromEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'plaintext' }));
    assert.deepEqual(plaintext, { address: '10.0.0.5:7233', apiKey: 'behind-a-proxy' });
  });

  it('each TEMPORAL_* variable wins over the same field of the profile, field by field', async () => {
    const config = configFromEnv({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'cloud-mtls',
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_API_KEY: 'env-api-key',
      TEMPORAL_TLS_SERVER_NAME: 'override.example',
    });
    assert.equal(config.temporal.namespace, 'retail-staging.a1b2c', 'not overridden: the profile value stays');
    const options = await connectionOptions(config);
    assert.equal(options.address, '127.0.0.1:7233');
    assert.equal(options.apiKey, 'env-api-key');
    assert.ok(options.tls && typeof options.tls === 'object');
    assert.equal(options.tls.serverNameOverride, 'override.example');
    assert.ok(options.tls.clientCertPair, 'the profile certificate is kept');
    assert.equal(configFromEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud-apikey', TEMPORAL_NAMESPACE: 'retail-qa.a1b2c' }).temporal.namespace, 'retail-qa.a1b2c');
    // TEMPORAL_TLS=false turns off the TLS the profile's API key implies.
    assert.equal((await connectionOptions(configFromEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud-apikey', TEMPORAL_TLS: 'false' }))).tls, undefined);
  });

  it('takes a client pair given inline as PEM text, and masks the key in the start-up banner', async () => {
    const inline = join(dir, 'inline.toml');
    writeFileSync(inline, '[profile.default]\naddress = "x:7233"\n[profile.default.tls]\nclient_cert_data = "CERT-PEM"\nclient_key_data = "KEY-PEM"\n');
    const config = configFromEnv({ TEMPORAL_CONFIG_FILE: inline });
    const options = await connectionOptions(config);
    assert.ok(options.tls && typeof options.tls === 'object');
    assert.equal(options.tls.clientCertPair!.key.toString(), 'KEY-PEM');
    assert.equal((describeConfig(config).temporal as Record<string, unknown>).tlsKeyData, '***');
  });

  it('refuses a missing file, an unknown profile, an unknown key and a certificate without its key, in one line', () => {
    assert.throws(() => configFromEnv({ TEMPORAL_CONFIG_FILE: join(dir, 'absent.toml') }), /^Error: invalid configuration: temporal\.configFile: .*does not exist$/);
    assert.throws(() => configFromEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' }), /invalid configuration: temporal\.profile: Profile 'prod' not found/);
    const typo = join(dir, 'typo.toml');
    writeFileSync(typo, '[profile.default]\nadress = "x:7233"\n');
    assert.throws(() => configFromEnv({ TEMPORAL_CONFIG_FILE: typo }), /temporal\.profile: .*unrecognized.*adress/);
    assert.throws(() => configFromEnv({ TEMPORAL_TLS_CERT_PATH: certPath }), /temporal\.tlsCertPath: a TLS client certificate needs its key/);
  });
});
