// The dashboard's entry point: hash router, per-view lifecycle (aborts, timers, event streams), header behaviour.
import { apiGet, isAbort, openEvents } from './api.js';
import { clearError, h, ownerHref, deviceHref, replace, setLiveStatus, showError } from './dom.js';
import { isAddress, isDeviceId, parseHash } from './format.js';
import { renderOwner } from './views/owner.js';
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

/** Hash → view and parameters. */
function match(hash) {
  const { segments, query } = parseHash(hash);
  if (segments.length === 0) return { render: renderTwins, params: { query }, nav: 'twins' };
  if (segments[0] === 'twins' && segments.length === 1) return { render: renderTwins, params: { query }, nav: 'twins' };
  if (segments[0] === 'twins' && segments.length === 2) {
    return { render: renderTwin, params: { deviceId: segments[1], query }, nav: 'twins' };
  }
  if (segments[0] === 'owners' && segments.length === 2) {
    return { render: renderOwner, params: { address: segments[1], query }, nav: 'owners' };
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
    else showError('Enter a DeviceID (0x + 64 hex) or an address (0x + 40 hex).');
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
window.addEventListener('hashchange', route);
route();

// Exposed for debugging from the console.
window.twinDashboard = {
  route,
  get context() {
    return current;
  },
};
