/** Which Hub endpoint, and which token, the chosen Hub means: a token is kept by the origin of the Hub it was given for. */
import { type HubEndpoint, REAL_HUB, offlineHub, originOf, withToken } from '../hub/endpoint.ts';
import type { BaseState } from './store-state.ts';
import type { HubChoice } from './url-settings.ts';

/** The chosen Hub's endpoint without a token, or undefined while the offline Hub's address is unknown. */
function baseEndpointOf(choice: HubChoice, offlineHubUrl: string | null | undefined): HubEndpoint | undefined {
  switch (choice.kind) {
    case 'real': return REAL_HUB;
    case 'offline': return offlineHubUrl ? offlineHub(offlineHubUrl) : undefined;
    case 'custom': return offlineHub(choice.url);
  }
}

/** Origin of the chosen Hub: the key its token is kept under. */
export function hubOriginOf(choice: HubChoice, offlineHubUrl: string | null | undefined): string | undefined {
  const endpoint = baseEndpointOf(choice, offlineHubUrl);
  return endpoint && originOf(endpoint.hubUrl);
}

/** The endpoint for the current choice with the token given for that Hub (none when none was). */
export function endpointFor(choice: HubChoice, offlineHubUrl: string | null | undefined, tokens: Record<string, string>): HubEndpoint | undefined {
  const endpoint = baseEndpointOf(choice, offlineHubUrl);
  return endpoint && withToken(endpoint, tokens[originOf(endpoint.hubUrl)]);
}

/** The token given for the chosen Hub, or ''. */
export function currentToken(state: Pick<BaseState, 'hubChoice' | 'offlineHubUrl' | 'tokens'>): string {
  const origin = hubOriginOf(state.hubChoice, state.offlineHubUrl);
  return (origin && state.tokens[origin]) || '';
}
