import './style.css';
import { api } from './api';
import { dashboardPage } from './dashboard/page';
import { explorePage, homePage, importPage, loginPage, nav, passwordPage } from './pages';
import { addRoute, Cleanup, startRouter } from './router';

let user: any = null;

// The page in a <main> under the navigation bar (none in kiosk mode); resolves with its cleanup.
async function withNav(root: HTMLElement, body: (main: HTMLElement) => Promise<Cleanup | void> | void): Promise<Cleanup | void> {
  if (!user) user = await api('GET', '/api/user');
  const kiosk = new URLSearchParams(location.search).has('kiosk');
  if (!kiosk) nav(root, user);
  const main = document.createElement('main');
  root.append(main);
  return body(main);
}

addRoute(/^\/login$/, (root) => loginPage(root));
addRoute(/^\/$/, (root) => withNav(root, (m) => homePage(m)));
addRoute(/^\/dashboards\/?$/, (root) => withNav(root, (m) => homePage(m)));
addRoute(/^\/dashboards\/f\/([^/]+)(?:\/.*)?$/, (root, [uid]) => withNav(root, (m) => homePage(m, uid)));
addRoute(/^\/dashboard\/new$/, (root) => withNav(root, (m) => dashboardPage(m, null)));
addRoute(/^\/dashboard\/import$/, (root) => withNav(root, (m) => importPage(m)));
addRoute(/^\/d\/([^/]+)(?:\/.*)?$/, (root, [uid]) => withNav(root, (m) => dashboardPage(m, uid)));
addRoute(/^\/explore$/, (root) => withNav(root, (m) => explorePage(m)));
addRoute(/^\/profile\/password$/, (root) => withNav(root, (m) => passwordPage(m)));

startRouter(document.getElementById('app')!);
