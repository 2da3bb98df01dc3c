// Which HTTP method each Prometheus API request uses (Grafana's Prometheus data source rules),
// run by `npm test` with the other unit tests (ctest: dashboards_web_unit).
import { describe, expect, it } from 'vitest';
import { DatasourceInfo, promMethods } from './api';

const ds = (jsonData: Record<string, any>): DatasourceInfo => ({ id: 1, uid: 'p', name: 'P', type: 'prometheus', url: 'http://x', isDefault: true, jsonData });

describe('data source request methods', () => {
  it('queries use jsonData.httpMethod, POST by default', () => {
    expect(promMethods(ds({}), '/api/v1/query')).toEqual(['POST']);
    expect(promMethods(ds({}), '/api/v1/query_range')).toEqual(['POST']);
    expect(promMethods(ds({ httpMethod: 'GET' }), '/api/v1/query_range')).toEqual(['GET']);
    expect(promMethods(ds({ httpMethod: 'post' }), '/api/v1/query')).toEqual(['POST']);
  });
  it('label values are always GET (Prometheus refuses POST there)', () => {
    for (const m of [undefined, 'GET', 'POST']) {
      expect(promMethods(ds({ httpMethod: m }), '/api/v1/label/job/values')).toEqual(['GET']);
      expect(promMethods(ds({ httpMethod: m }), '/api/v1/label/__name__/values')).toEqual(['GET']);
    }
  });
  it('series and labels follow a POST setting with a GET retry, else GET', () => {
    expect(promMethods(ds({}), '/api/v1/series')).toEqual(['GET']);
    expect(promMethods(ds({ httpMethod: 'POST' }), '/api/v1/series')).toEqual(['POST', 'GET']);
    expect(promMethods(ds({ httpMethod: 'POST' }), '/api/v1/labels')).toEqual(['POST', 'GET']);
  });
});
