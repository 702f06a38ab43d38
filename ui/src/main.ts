import './app.css';

// The window's entry: show why it could not start instead of a blank window. The app itself is
// loaded after the handlers are in place, so an error while its modules load is caught too.
function showFailure(what: unknown) {
  const target = document.getElementById('app');
  if (!target || target.dataset.failed) return;
  target.dataset.failed = '1';
  const box = document.createElement('div');
  box.setAttribute('role', 'alert');
  box.className = 'start-failure';
  const title = document.createElement('h1');
  title.textContent = 'Trengo Desk could not draw its window';
  const detail = document.createElement('pre');
  detail.textContent = what instanceof Error ? `${what.name}: ${what.message}\n${what.stack ?? ''}` : String(what);
  const hint = document.createElement('p');
  hint.textContent = 'Nothing was sent to Trengo. Restart the app; if this stays, copy the text above into a report.';
  box.append(title, detail, hint);
  target.replaceChildren(box);
}

// Under a POSIX locale (LANG=C) WebKitGTK reports navigator.language as "C", which no Intl
// constructor accepts; libraries that format with it (the charts) would throw while loading.
// The lead's formats then fall back to the engine's default, as a browser's would.
function validLanguage(tag: string | undefined): boolean {
  try {
    return !!tag && Intl.getCanonicalLocales(tag).length > 0;
  } catch {
    return false;
  }
}
if (!validLanguage(navigator.language)) {
  const fallback = new Intl.NumberFormat().resolvedOptions().locale || 'en-US';
  Object.defineProperty(navigator, 'language', { value: fallback, configurable: true });
  Object.defineProperty(navigator, 'languages', { value: Object.freeze([fallback]), configurable: true });
}

let started = false;
window.addEventListener('error', (e) => {
  if (!started) showFailure(e.error ?? e.message);
});
window.addEventListener('unhandledrejection', (e) => {
  if (!started) showFailure(e.reason);
});

import('./app')
  .then(({ start }) => {
    start(document.getElementById('app')!);
    started = true;
  })
  .catch(showFailure);
