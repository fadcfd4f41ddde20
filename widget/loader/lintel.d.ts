// Type definitions for the Lintel sign-in widget loader, served by Lintel
// at https://{your login domain}/widget/lintel.js. See docs/embedding.md.

export interface LintelTheme {
  /** Design tokens, e.g. {"--lt-color-primary": "#0a7d5a"}; other keys are ignored. */
  [token: `--lt-${string}`]: string;
}

/** What the host page or SPA needs to exchange the authorization code. */
export interface LintelSuccess {
  /** The authorization code, bound to codeVerifier (PKCE S256). */
  code: string;
  /** The state the loader generated and checked. */
  state: string;
  /** The issuer that answered (RFC 9207); equal to the issuer mounted. */
  iss: string;
  /** The PKCE code verifier to send to the token endpoint. */
  codeVerifier: string;
  /** The redirect URI the code was issued for, as mounted. */
  redirectUri: string;
  /** The nonce the ID token must carry. */
  nonce: string;
}

export interface LintelError {
  /**
   * An OAuth error code ("access_denied"), the flow API's ("flow_expired",
   * "origin_not_allowed", "network_error"), or the loader's: "state_mismatch",
   * "issuer_mismatch", "storage_unavailable" (a hand-over could not save its
   * transaction), and from handleRedirect "unknown_state" (no transaction of
   * this tab for the response's state: used already, or never started here)
   * and "transaction_expired" (started more than 10 minutes ago).
   */
  error: string;
  /** The locale message ID the widget showed, when it showed one. */
  message?: string;
  /** error_description of an OAuth error redirect, or what the loader refused, in English, for logs. */
  errorDescription?: string;
  state?: string;
  /** The server's JSON answer or the exception, for logs. */
  detail?: unknown;
}

export interface LintelOptions {
  /** The authorization server's issuer, e.g. "https://login.example.com/oauth2/default". */
  issuer: string;
  /** The app's client ID. */
  clientId: string;
  /** One of the app's registered redirect URIs; the code is issued for it. */
  redirectUri: string;
  /** Scopes to ask for; default ["openid"]. */
  scopes?: string[];
  /** Preferred language (BCP 47), sent as ui_locales. */
  locale?: string;
  /** OpenID Connect prompt, e.g. "login" to ask again despite a session. */
  prompt?: string;
  /** A login to prefill (login_hint). */
  loginHint?: string;
  /** Authentication context classes to ask for (acr_values). */
  acrValues?: string;
  /** Design-token overrides, set as custom properties on the element. */
  theme?: LintelTheme;
  /** Called once with the code when the sign-in ends. */
  onSuccess?: (result: LintelSuccess) => void;
  /** Called on every error the widget shows and when the flow ends in an OAuth error. */
  onError?: (error: LintelError) => void;
}

/** What Lintel.handleRedirect needs: the same issuer, clientId and redirectUri as the mount that handed over. */
export interface LintelRedirectOptions {
  issuer: string;
  clientId: string;
  redirectUri: string;
  /** Called with what mount's onSuccess gets, when the response redeems a saved transaction. */
  onSuccess?: (result: LintelSuccess) => void;
  /** Called when the response is an OAuth error or is refused. */
  onError?: (error: LintelError) => void;
}

export interface LintelHandle {
  element: HTMLElement;
  /** Same as Lintel.unmount(element). */
  unmount(): void;
}

export interface Lintel {
  /**
   * Shows the sign-in widget in an open shadow root of element (mounting
   * again on the same element starts over). element.dataset.lintelMode is
   * "html" while the server renders steps and "wasm" once the WebAssembly
   * took over; element.dataset.lintelStep is the current step kind.
   */
  mount(element: HTMLElement, options: LintelOptions): LintelHandle;
  /** Removes the widget, its theme properties and its pending requests. */
  unmount(element: HTMLElement): void;
  /**
   * On the page at redirectUri, ends a sign-in that a hand-over to an
   * identity provider took away from the widget's page: reads code, state
   * and iss from the address, takes the transaction (PKCE verifier, state,
   * nonce) the hand-over saved in this tab's sessionStorage for that state
   * (once; nothing stays stored), removes the response from the address
   * bar with history.replaceState, then calls onSuccess or onError. The
   * promise resolves to the success, or to null after an error.
   */
  handleRedirect(options: LintelRedirectOptions): Promise<LintelSuccess | null>;
  readonly version: number;
}

declare global {
  interface Window {
    Lintel: Lintel;
  }
  const Lintel: Lintel;
}
