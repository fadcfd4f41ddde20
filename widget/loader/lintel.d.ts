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
  /** An OAuth error code ("access_denied") or the flow API's ("flow_expired", "origin_not_allowed", "network_error", "state_mismatch"). */
  error: string;
  /** The locale message ID the widget showed, when it showed one. */
  message?: string;
  /** error_description of an OAuth error redirect. */
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
  readonly version: number;
}

declare global {
  interface Window {
    Lintel: Lintel;
  }
  const Lintel: Lintel;
}
