import { describe, expect, it } from 'vitest';
import { parseRawRecord } from '../../../pipeline/records/raw-record.js';

describe('parseRawRecord', () => {
  it('resolves every alias of every canonical field', () => {
    const result = parseRawRecord({
      Id: '<a@b>',
      Table: 'processed',
      UserName: 'amartin',
      dateReceived: '2023-01-02',
      is_duplicate: true,
      project_size: '1,000 sq ft',
      VipDetails: '{}',
      Segment: 'Education',
      Division: 3,
      region: 'north',
    });
    expect(result).toEqual({
      ok: true,
      record: {
        id: '<a@b>',
        state: 'processed',
        userName: 'amartin',
        date: '2023-01-02',
        is_duplicate: true,
        project_size: '1,000 sq ft',
        vip_details: '{}',
        segment: 'Education',
        division: 3,
        region: 'north',
      },
    });
  });

  it('takes the first alias in the documented order when several are present', () => {
    const result = parseRawRecord({
      id: 'late',
      RecordID: 'first',
      PartitionKey: 'declined',
      table: 'trash',
    });
    expect(result.ok && result.record.id).toBe('first');
    expect(result.ok && result.record.state).toBe('declined');
  });

  it('skips a null alias in favour of a later one that holds a value', () => {
    const result = parseRawRecord({ RecordID: null, Id: 'x', PartitionKey: 'processed' });
    expect(result.ok && result.record.id).toBe('x');
  });

  it('accepts numeric ids as text', () => {
    const result = parseRawRecord({ RecordID: 42, PartitionKey: 'processed' });
    expect(result.ok && result.record.id).toBe('42');
  });

  it.each([
    [{ PartitionKey: 'processed' }, 'id (RecordID | Id | id): missing'],
    [{ RecordID: '  ', PartitionKey: 'processed' }, 'id (RecordID | Id | id): must not be empty'],
    [{ RecordID: 'a' }, 'state (PartitionKey | partitionKey | table | Table): missing'],
    [{ RecordID: 'a', PartitionKey: 5 }, 'state (PartitionKey | partitionKey | table | Table):'],
    [{ RecordID: 'a', PartitionKey: 'x', segment: ['Education'] }, 'segment (segment | Segment):'],
    [{ RecordID: 'a', PartitionKey: 'x', vip_details: 7 }, 'vip_details (vip_details | VipDetails):'],
  ])('reports %j as invalid, naming the field and its aliases', (input, reason) => {
    const result = parseRawRecord(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it.each([[null], [[1, 2]], ['text'], [3]])('refuses %j: a record must be an object', (input) => {
    const result = parseRawRecord(input);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('must be a JSON object') });
  });
});
