// The single sign-on objects of one Rollcall instance (house rule 4: made by main.ts and library.ts,
// never module-level): the handoff (codes, JWTs, signing keys) and the sign-in use case over it.
import type { Config } from '../../config/config.ts';
import type { Provisioning } from '../service.ts';
import { SamlConnections } from './connections.ts';
import { Handoff } from './handoff.ts';
import { SignIn } from './sign-in.ts';

export interface SsoServices { handoff: Handoff; signIn: SignIn; connections: SamlConnections }

export function makeSso(config: Readonly<Config>, provisioning: Provisioning): SsoServices {
  const handoff = new Handoff(provisioning.store, provisioning.clock, config.saml, config.publicUrl);
  return {
    handoff, signIn: new SignIn({ provisioning, handoff, saml: config.saml, publicUrl: config.publicUrl }),
    connections: new SamlConnections(provisioning.store, provisioning.clock, config),
  };
}
