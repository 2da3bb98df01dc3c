// The template variables of a dashboard page: their evaluation into the state and the variable
// bar (a select, or a text box, per variable).
import { el } from '../panels/common';
import { resolveRange } from '../time';
import { loadVariables, VarState } from '../vars';
import { DashboardState } from './state';

// Evaluates the model's variables in order into st.varStates; st.urlVars win over saved values.
export async function evaluateVariables(st: DashboardState, widthPx: number) {
  st.varStates = await loadVariables(st.dash.templating!.list, st.settings, resolveRange(st.range), st.urlVars, widthPx);
}

// A new selection for v. Every variable keeps its selection for the next evaluation; those
// after v may depend on it, and evaluation drops a value that is no longer offered.
export function selectValues(st: DashboardState, v: VarState, values: string[]) {
  v.selected = values;
  for (const s of st.varStates) st.urlVars[s.model.name] = s.selected;
}

export class VariableBar {
  readonly el = el('div', { class: 'var-bar', 'data-testid': 'var-bar' });

  constructor(private readonly onChange: (v: VarState, values: string[]) => void) {}

  render(states: VarState[]) {
    this.el.replaceChildren();
    for (const st of states) {
      if (st.model.hide === 2) continue;
      const box = el('label', { class: 'var-item' });
      if (st.model.hide !== 1) box.append(el('span', { class: 'var-label' }, st.model.label || st.model.name));
      if (st.model.type === 'textbox') {
        const input = el('input', { 'data-testid': 'var-' + st.model.name, value: st.selected[0] ?? '' });
        input.addEventListener('change', () => this.onChange(st, [input.value]));
        box.append(input);
      } else {
        const sel = el('select', { 'data-testid': 'var-' + st.model.name });
        if (st.model.multi) sel.multiple = true;
        for (const o of st.options) {
          const opt = el('option', { value: o }, o === '$__all' ? 'All' : o);
          opt.selected = st.selected.includes(o);
          sel.append(opt);
        }
        sel.addEventListener('change', () => this.onChange(st, [...sel.selectedOptions].map((o) => o.value)));
        box.append(sel);
      }
      if (st.error) box.append(el('span', { class: 'var-error', title: st.error }, '!'));
      this.el.append(box);
    }
    this.el.style.display = states.some((s) => s.model.hide !== 2) ? '' : 'none';
  }
}
