// The API client: JSON GETs with the API's error shape, and the server-sent event stream.
import { queryString } from './format.js';

export const API_BASE = '/api/v1';

/** An error the API answered with (`{ error: { code, message, details } }`), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(message, { status = 0, code = 'error', details, body } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.body = body;
  }
}

/** True for the rejection of a fetch aborted because the view was left. */
export const isAbort = (error) => error?.name === 'AbortError';

/**
 * GET `API_BASE + path` with the query parameters; resolves to the parsed JSON body. Rejects with an ApiError
 * carrying the API's message, or with the AbortError when `signal` aborts.
 */
export async function apiGet(path, { query, signal } = {}) {
  return apiRequest('GET', path, { query, signal });
}

/** The session token reads and writes carry (set by session.js on sign-in, cleared on sign-out). */
let bearer = null;
export function setBearer(token) {
  bearer = token || null;
}
/** Called when the API refuses the token (expired, invalid, or its entity revoked): the session ends. */
let authLost = () => {};
export function onAuthLost(fn) {
  authLost = fn;
}
const LOST_CODES = new Set(['token-expired', 'token-invalid', 'token-role-changed', 'entity-not-approved', 'entity-not-registered']);

/**
 * Any API call: `method`, `API_BASE + path`, an optional JSON `body`; sends the session token when signed in (device
 * internals, alerts' evidence and notifications are only readable with it) and any extra `headers` (`If-Match`).
 * Resolves to the parsed JSON body.
 */
export async function apiRequest(method, path, { query, body: payload, signal, token, headers: extra } = {}) {
  const url = `${API_BASE}${path}${queryString(query)}`;
  const headers = { accept: 'application/json', ...(extra ?? {}) };
  const auth = token === undefined ? bearer : token;
  if (auth) headers.authorization = `Bearer ${auth}`;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  let response;
  let text;
  try {
    response = await fetch(url, {
      method,
      signal,
      headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    text = await response.text();
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(`Cannot reach the API (${error?.message ?? 'network error'}).`, { code: 'network-error' });
  }
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const error = body && typeof body === 'object' ? body.error : null;
    if (auth && auth === bearer && LOST_CODES.has(error?.code)) authLost(error);
    const fallback = `The API answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`;
    throw new ApiError(typeof error?.message === 'string' && error.message ? error.message : fallback, {
      status: response.status,
      code: error?.code ?? 'http-error',
      details: error?.details,
      body,
    });
  }
  if (body === null) {
    throw new ApiError(`The API answered ${url} with a body that is not JSON.`, {
      status: response.status,
      code: 'bad-response',
    });
  }
  return body;
}

/** The raw bytes at `url` (the API's `/ipfs/{cid}` gateway), with the session token; an ApiError otherwise. */
export async function fetchBytes(url) {
  const headers = { accept: 'application/vnd.ipld.raw' };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(url, { headers });
  if (!response.ok) {
    let message = `The API answered ${response.status}.`;
    try {
      message = (await response.json()).error?.message ?? message;
    } catch {
      // not JSON
    }
    throw new ApiError(message, { status: response.status, code: 'http-error' });
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** `/health`, which may answer 503 with the same body when a component is down: both resolve to the body. */
export async function getHealth({ signal } = {}) {
  try {
    return await apiGet('/health', { signal });
  } catch (error) {
    if (error instanceof ApiError && error.body && typeof error.body === 'object' && error.body.components) {
      return error.body;
    }
    throw error;
  }
}

/**
 * Opens the event stream `/events` (with optional `deviceId`). `handlers` maps event names to functions of the
 * parsed data; `onStatus('connecting' | 'open' | 'closed')` follows the connection. Returns the close function.
 */
export function openEvents(query, handlers, { onStatus = () => {}, onError = () => {} } = {}) {
  if (typeof EventSource === 'undefined') {
    onStatus('closed');
    return () => {};
  }
  // Only the event types handled here: the list pages need no telemetry stream.
  const source = new EventSource(
    // EventSource sends no header: a signed-in page passes its token as `access_token` (RFC 6750 §2.3).
    `${API_BASE}/events${queryString({ ...query, types: Object.keys(handlers).join(','), access_token: bearer ?? '' })}`,
  );
  let closed = false;
  onStatus('connecting');
  source.addEventListener('open', () => onStatus('open'));
  source.addEventListener('error', () => {
    if (closed) return;
    onStatus(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
  });
  for (const [name, handler] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => {
      if (closed) return;
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return; // not JSON: ignore the message
      }
      try {
        const result = handler(data);
        if (result && typeof result.catch === 'function') result.catch(onError);
      } catch (error) {
        onError(error);
      }
    });
  }
  return () => {
    closed = true;
    source.close();
  };
}
