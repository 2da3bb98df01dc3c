// HTTP calls to the sremon dashboards API (Grafana-shaped). Every call carries
// X-Grafana-Org-Id, which the server requires on state-changing calls (cross-site protection).

export class ApiError extends Error {
  constructor(public status: number, message: string, public body?: any) {
    super(message);
  }
}

export async function api<T = any>(method: string, path: string, body?: unknown, opts: { noRedirect?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { 'X-Grafana-Org-Id': '1', Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof URLSearchParams) {
    payload = body;
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const resp = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await resp.text();
  let data: any = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (!resp.ok) {
    if (resp.status === 401 && !opts.noRedirect && location.pathname !== '/login') {
      location.href = '/login?redirectTo=' + encodeURIComponent(location.pathname + location.search);
    }
    const msg = (data && (data.message || data.error)) || `${resp.status} ${resp.statusText}`;
    throw new ApiError(resp.status, msg, data);
  }
  return data as T;
}

export interface DatasourceInfo {
  id: number;
  uid: string;
  name: string;
  type: string;
  url: string;
  isDefault: boolean;
  jsonData: Record<string, any>;
}

export interface Settings {
  datasources: DatasourceInfo[];
  defaultDatasource: string;
  buildInfo: { version: string };
}

let settingsPromise: Promise<Settings> | null = null;
export function settings(): Promise<Settings> {
  if (!settingsPromise) settingsPromise = api<Settings>('GET', '/api/frontend/settings').catch((e) => {
    settingsPromise = null;
    throw e;
  });
  return settingsPromise;
}

// Resolves a panel/target datasource reference (null, name, uid, {uid}) to a data source.
export function resolveDatasource(s: Settings, ref: any, interpolate: (v: string) => string = (v) => v): DatasourceInfo | undefined {
  let key: string | undefined;
  if (ref && typeof ref === 'object') key = ref.uid ?? undefined;
  else if (typeof ref === 'string') key = ref;
  if (key) key = interpolate(key);
  if (!key || key === 'default' || key === '-- Grafana --' || key === '-- Mixed --' || key === '-- Dashboard --') {
    return s.datasources.find((d) => d.uid === s.defaultDatasource) ?? s.datasources[0];
  }
  return s.datasources.find((d) => d.uid === key || d.name === key) ?? s.datasources.find((d) => d.uid === s.defaultDatasource);
}

export function proxyBase(ds: DatasourceInfo): string {
  return `/api/datasources/proxy/uid/${encodeURIComponent(ds.uid)}`;
}

// ---- Prometheus query API through the proxy ----

export interface PromSeries {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

// The methods to try, in order, for a request to a Prometheus API path, as Grafana's Prometheus
// data source sends them, so that Prometheus (no POST on label values), VictoriaMetrics and
// sremon all answer:
//  - query and query_range: the data source's jsonData.httpMethod, POST when unset (the default
//    of Grafana 9+'s query backend);
//  - series and labels: jsonData.httpMethod when it is POST, retried as GET on 405 or 400
//    (servers without POST there), else GET (its metadataRequest);
//  - everything else (label/NAME/values, metadata, ...): GET.
export function promMethods(ds: DatasourceInfo, path: string): string[] {
  const configured = String(ds.jsonData?.httpMethod ?? '').toUpperCase();
  if (/\/api\/v1\/(query|query_range)$/.test(path)) return [configured === 'GET' ? 'GET' : 'POST'];
  if (/\/api\/v1\/(series|labels)$/.test(path) && configured === 'POST') return ['POST', 'GET'];
  return ['GET'];
}

export async function promQuery(ds: DatasourceInfo, path: string, params: Record<string, string | string[]>): Promise<any> {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((x) => form.append(k, x));
    else form.append(k, v);
  }
  const methods = promMethods(ds, path);
  let resp: any;
  for (let i = 0; ; i++) {
    const method = methods[i];
    const query = form.toString();
    const url = proxyBase(ds) + path + (method === 'GET' && query ? '?' + query : '');
    try {
      resp = await api<any>(method, url, method === 'GET' ? undefined : form);
      break;
    } catch (e: any) {
      if (e instanceof ApiError && (e.status === 405 || e.status === 400) && i + 1 < methods.length) continue;
      const b = e.body;
      throw new Error(b && b.error ? b.error : e.message);
    }
  }
  if (!resp || resp.status !== 'success') throw new Error((resp && resp.error) || 'bad response from data source');
  return resp.data;
}
