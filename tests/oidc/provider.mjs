// A real OpenID Connect provider for the SSO tests: panva/oidc-provider (certified) on loopback, with its
// development login form. Usage: node provider.mjs <port> ; the clients come as JSON in OIDC_TEST_CONFIG:
// { "clients": [...oidc-provider client metadata], "accountsFile": "<path>" }, the accounts in that file
// ({ "<id>": { "name", "groups" } }), read at every login so that a test can change someone's groups.
// Any password is accepted (the dev form checks none); the tests choose the account by its login.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const config = JSON.parse(process.env.OIDC_TEST_CONFIG);

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: config.clients,
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], groups: ['groups'] },
  scopes: ['openid', 'profile', 'groups', 'offline_access'],
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['test-only-cookie-key-0123456789'] },
  async findAccount(ctx, id) {
    const account = JSON.parse(readFileSync(config.accountsFile, 'utf8'))[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: account.name, preferred_username: id, groups: account.groups };
      },
    };
  },
  // A first-party client: no consent screen (the provider's recipe for skipping consent).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile groups');
    await grant.save();
    return grant;
  },
});

provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${port}`));
