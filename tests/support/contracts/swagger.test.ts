import { describe, expect, it } from 'vitest';
import { AZUREML_CONTRACT_VERSION, azureMlContract } from './azureml.js';

const contract = azureMlContract();
const env =
  '/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/environments/e/versions/1';
const commandJob = (extra: Record<string, unknown> = {}) => ({
  properties: { jobType: 'Command', command: 'opp train', environmentId: env, ...extra },
});

describe('the Swagger 2.0 validator on the vendored Azure ML description', () => {
  it('reads the api-version from the description', () => {
    expect(contract.apiVersion).toBe(AZUREML_CONTRACT_VERSION);
  });

  it('checks a polymorphic value as the subtype its discriminator names', () => {
    expect(contract.checkDefinition('JobBaseResource', commandJob())).toEqual([]);
    expect(contract.checkDefinition('JobBaseResource', { properties: { jobType: 'Command' } })).toEqual([
      'JobBaseResource.properties.command: required',
      'JobBaseResource.properties.environmentId: required',
    ]);
    expect(contract.checkDefinition('JobBaseResource', { properties: { jobType: 'Training' } })).toEqual([
      'JobBaseResource.properties.jobType: "Training" names no subtype of JobBase',
      'JobBaseResource.properties.jobType: "Training" is not one of AutoML, Command, Sweep, Pipeline',
    ]);
    // A property of another subtype is not a property of this one.
    expect(contract.checkDefinition('JobBaseResource', commandJob({ trial: {} }))).toEqual([
      'JobBaseResource.properties.trial: not a property of CommandJob',
    ]);
  });

  it('takes the properties of an input from its whole allOf chain (AssetJobInput + JobInput)', () => {
    const input = (v: Record<string, unknown>) => commandJob({ inputs: { x: v } });
    expect(
      contract.checkDefinition(
        'JobBaseResource',
        input({ jobInputType: 'uri_folder', uri: 'azureml://x', mode: 'Download', description: null }),
      ),
    ).toEqual([]);
    expect(
      contract.checkDefinition('JobBaseResource', input({ jobInputType: 'uri_folder', uri: '' })),
    ).toEqual([
      'JobBaseResource.properties.inputs.x.uri: shorter than 1',
      'JobBaseResource.properties.inputs.x.uri: "" does not match [a-zA-Z0-9_]',
    ]);
    expect(
      contract.checkDefinition(
        'JobBaseResource',
        input({ jobInputType: 'uri_folder', uri: 'u', mode: 'Copy' }),
      ),
    ).toEqual([
      'JobBaseResource.properties.inputs.x.mode: "Copy" is not one of ReadOnlyMount, ReadWriteMount, Download, Direct, EvalMount, EvalDownload',
    ]);
  });

  it('checks formats lightly: an ISO 8601 duration for a job timeout', () => {
    const limits = (timeout: string) => commandJob({ limits: { jobLimitsType: 'Command', timeout } });
    expect(contract.checkDefinition('JobBaseResource', limits('PT4H'))).toEqual([]);
    expect(contract.checkDefinition('JobBaseResource', limits('4 hours'))).toEqual([
      'JobBaseResource.properties.limits.timeout: "4 hours" is not an ISO 8601 duration',
    ]);
  });

  it('ignores read-only properties in requests but checks them in responses', () => {
    const withStatus = commandJob({ status: 'Sleeping' });
    expect(contract.checkDefinition('JobBaseResource', withStatus, 'request')).toEqual([]);
    expect(contract.checkDefinition('JobBaseResource', withStatus, 'response')[0]).toMatch(
      /properties\.status: "Sleeping" is not one of/,
    );
  });

  it('matches operations by path template and method and checks path parameters', () => {
    const base = '/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w';
    expect(contract.match('PUT', `${base}/jobs/j1`)?.operationId).toBe('Jobs_CreateOrUpdate');
    expect(contract.match('POST', `${base}/jobs/j1`)).toBeUndefined();
    const op = contract.match('PUT', `${base}/onlineEndpoints/-bad/deployments/d`)!;
    const refusal = contract.checkRequest(
      op,
      new URLSearchParams({ 'api-version': AZUREML_CONTRACT_VERSION }),
      {
        location: 'westeurope',
        properties: { endpointComputeType: 'Managed' },
      },
    );
    expect(refusal?.message).toMatch(/path parameter endpointName: "-bad" does not match/);
  });

  it('says which file is missing when a check reaches a description that is not vendored', () => {
    expect(() =>
      contract.checkDefinition('OnlineEndpointTrackedResource', {
        location: 'westeurope',
        identity: { type: 'SystemAssigned' },
        properties: { authMode: 'Key' },
      }),
    ).toThrow(/managedidentity\.json is not vendored/);
  });
});
