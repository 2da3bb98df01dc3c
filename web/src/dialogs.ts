// Modal dialogs and toasts shared by the pages.
import { el } from './panels/common';

// Shows box over the page; the returned function closes it.
export function showModal(box: HTMLElement): () => void {
  const overlay = el('div', { class: 'modal-overlay' });
  overlay.append(box);
  document.body.append(overlay);
  return () => overlay.remove();
}

// A small modal form of [name, label, value] fields; resolves with the values or null when
// cancelled.
export function prompt2(title: string, fields: [string, string, string][]): Promise<Record<string, string> | null> {
  return new Promise((resolve) => {
    const form = el('form', { class: 'modal', 'data-testid': 'modal' });
    form.append(el('h2', {}, title));
    const inputs: Record<string, HTMLInputElement> = {};
    for (const [name, label, value] of fields) {
      const l = el('label', {}, label);
      const i = el('input', { name, 'data-testid': 'modal-' + name, value });
      inputs[name] = i;
      form.append(l, i);
    }
    const ok = el('button', { class: 'btn primary', type: 'submit', 'data-testid': 'modal-ok' }, 'Save');
    const cancel = el('button', { class: 'btn', type: 'button' }, 'Cancel');
    const buttons = el('div', { class: 'modal-buttons' });
    buttons.append(ok, cancel);
    form.append(buttons);
    const hide = showModal(form);
    inputs[fields[0][0]]?.focus();
    const close = (v: Record<string, string> | null) => {
      hide();
      resolve(v);
    };
    cancel.addEventListener('click', () => close(null));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const out: Record<string, string> = {};
      for (const [k, i] of Object.entries(inputs)) out[k] = i.value;
      close(out);
    });
  });
}

export function toast(message: string, error = false) {
  const t = el('div', { class: 'toast' + (error ? ' error' : ''), 'data-testid': 'toast' }, message);
  document.body.append(t);
  setTimeout(() => t.remove(), 4000);
}
