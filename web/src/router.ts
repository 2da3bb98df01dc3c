// History-API routing: the server answers index.html for every app path.

// Undoes what a page set up outside its own elements (timers, listeners, editors).
export type Cleanup = () => void;
// Renders a page into root; resolves with its cleanup, if it needs one.
export type Route = (root: HTMLElement, params: string[]) => Promise<Cleanup | void> | Cleanup | void;

const routes: [RegExp, Route][] = [];
let root: HTMLElement;
let cleanup: Cleanup | undefined;
let generation = 0;  // counts renders, so that a page that finishes after the next one began is undone

export function addRoute(re: RegExp, r: Route) {
  routes.push([re, r]);
}

export function navigate(url: string, replace = false) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  void render();
}

export async function render() {
  const gen = ++generation;
  cleanup?.();
  cleanup = undefined;
  root.replaceChildren();
  root.className = '';
  document.body.classList.remove('kiosk');
  for (const [re, r] of routes) {
    const m = re.exec(location.pathname);
    if (m) {
      try {
        const done = await r(root, m.slice(1).map((s) => (s === undefined ? '' : decodeURIComponent(s))));
        if (gen === generation) cleanup = done || undefined;
        else done?.();  // the user went on while the page was loading
      } catch (e: any) {
        // A 401 already sent the browser to the login page.
        if (e?.status !== 401 && gen === generation) {
          const div = document.createElement('div');
          div.className = 'page-error';
          div.dataset.testid = 'page-error';
          div.textContent = 'Error: ' + (e?.message ?? String(e));
          root.append(div);
        }
      }
      return;
    }
  }
  root.textContent = 'Page not found';
}

export function startRouter(el: HTMLElement) {
  root = el;
  window.addEventListener('popstate', () => void render());
  document.addEventListener('click', (e) => {
    const a = (e.target as HTMLElement).closest('a');
    if (!a || a.target || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    const href = a.getAttribute('href');
    if (!href || !href.startsWith('/') || href.startsWith('//') || a.hasAttribute('download')) return;
    e.preventDefault();
    navigate(href);
  });
  void render();
}
