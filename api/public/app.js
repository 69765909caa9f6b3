// The dashboard's entry point: hash router, per-view lifecycle (aborts, timers, event streams), header behaviour.
import { apiGet, isAbort, openEvents } from './api.js';
import { clearError, h, ownerHref, deviceHref, replace, setLiveStatus, showError } from './dom.js';
import { isAddress, isDeviceId, parseHash } from './format.js';
import { setupSession } from './session-ui.js';
import { onSession } from './session.js';
import { renderAlerts } from './views/alerts.js';
import { renderMint } from './views/mint.js';
import { renderOwner } from './views/owner.js';
import { renderSnapshot } from './views/snapshot.js';
import { renderTwin } from './views/twin.js';
import { renderTwins } from './views/twins.js';

const view = document.getElementById('view');
let current = null;

/**
 * What a view gets: `signal` and `get` (fetches aborted when the view is left), `report` (errors to the banner,
 * ignoring aborts and stale views), `run` (fire-and-forget async with reporting), `debounce`, `every`,
 * `events` (the SSE stream, closed on leave) and `onCleanup`.
 */
function createContext() {
  const controller = new AbortController();
  const cleanups = [];
  const ctx = {
    signal: controller.signal,
    get alive() {
      return !controller.signal.aborted;
    },
    get: (path, query) => apiGet(path, { query, signal: controller.signal }),
    onCleanup: (fn) => cleanups.push(fn),
    report(error) {
      if (!ctx.alive || isAbort(error)) return;
      if (!(error && error.name === 'ApiError')) console.warn(error);
      showError(error);
    },
    run(fn) {
      return Promise.resolve()
        .then(() => (ctx.alive ? fn() : undefined))
        .catch(ctx.report);
    },
    debounce(ms, fn) {
      let timer = null;
      cleanups.push(() => clearTimeout(timer));
      return () => {
        clearTimeout(timer);
        timer = setTimeout(() => ctx.run(fn), ms);
      };
    },
    every(ms, fn) {
      const timer = setInterval(() => ctx.run(fn), ms);
      cleanups.push(() => clearInterval(timer));
    },
    events(query, handlers) {
      const close = openEvents(query, handlers, {
        onStatus: (state) => ctx.alive && setLiveStatus(state),
        onError: ctx.report,
      });
      cleanups.push(close);
    },
    dispose() {
      controller.abort();
      for (const fn of cleanups.splice(0)) {
        try {
          fn();
        } catch (error) {
          console.warn(error);
        }
      }
    },
  };
  return ctx;
}

/** Any other hash: a small not-found page. */
function notFound(container) {
  replace(
    container,
    h(
      'section',
      { class: 'card empty-page', 'data-testid': 'not-found' },
      h('h1', {}, 'Page not found'),
      h('p', {}, 'There is nothing at this address.'),
      h('p', {}, h('a', { href: '#/' }, 'Back to the twin list')),
    ),
  );
}

/**
 * The views, first match wins: `path` segments (`:name` binds a parameter), the render function, the nav entry it
 * highlights. A new view is one line here (and, for a nav link, one `<a data-nav>` in index.html).
 */
export const ROUTES = [
  { path: [], render: renderTwins, nav: 'twins' },
  { path: ['twins'], render: renderTwins, nav: 'twins' },
  { path: ['twins', ':deviceId'], render: renderTwin, nav: 'twins' },
  { path: ['twins', ':deviceId', 'snapshots', ':seq'], render: renderSnapshot, nav: 'twins' },
  { path: ['owners', ':address'], render: renderOwner, nav: 'owners' },
  { path: ['alerts'], render: renderAlerts, nav: 'alerts' },
  { path: ['mint'], render: renderMint, nav: 'mint' },
];

/** Hash → view and parameters. */
function match(hash) {
  const { segments, query } = parseHash(hash);
  for (const candidate of ROUTES) {
    if (candidate.path.length !== segments.length) continue;
    const params = { query };
    const fits = candidate.path.every((part, i) => {
      if (part.startsWith(':')) {
        params[part.slice(1)] = segments[i];
        return true;
      }
      return part === segments[i];
    });
    if (fits) return { render: candidate.render, params, nav: candidate.nav };
  }
  return { render: notFound, params: {}, nav: null };
}

function route() {
  if (current) current.dispose();
  clearError();
  setLiveStatus('off');
  const { render, params, nav } = match(location.hash);
  for (const link of document.querySelectorAll('nav [data-nav]')) {
    if (link.dataset.nav === nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const ctx = createContext();
  current = ctx;
  view.replaceChildren();
  ctx.run(() => render(view, params, ctx));
}

function setupHeader() {
  const banner = document.querySelector('[data-testid="error"]');
  banner.querySelector('.error-dismiss').addEventListener('click', clearError);
  const form = document.querySelector('[data-testid="lookup"]');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = form.elements.namedItem('q');
    const value = input.value.trim();
    if (isDeviceId(value)) location.hash = deviceHref(value);
    else if (isAddress(value)) location.hash = ownerHref(value);
    else if (value) location.hash = `#/?q=${encodeURIComponent(value)}`;
  });
}

// Surface anything that escaped a view's own handling instead of failing silently.
window.addEventListener('unhandledrejection', (event) => {
  if (isAbort(event.reason)) {
    event.preventDefault();
    return;
  }
  showError(event.reason);
});

setupHeader();
setupSession(document.querySelector('[data-testid="session-holder"]'));
window.addEventListener('hashchange', route);
// Signing in or out changes what a page may read and do: the view is drawn again.
let first = true;
onSession(() => {
  if (first) return;
  route();
});
first = false;
route();

// Exposed for debugging from the console.
window.twinDashboard = {
  route,
  get context() {
    return current;
  },
};
