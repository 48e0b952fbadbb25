import { decodersFor } from '../../src/transport/decompress';

describe('decodersFor', () => {
  it('needs nothing for identity and fails clearly on an unknown coding', () => {
    expect(decodersFor(undefined, 0)).toEqual([]);
    expect(decodersFor('identity', 0)).toEqual([]);
    expect(() => decodersFor('compress', 0)).toThrow(/content-encoding "compress"/);
    expect(decodersFor('gzip, br', 0)).toHaveLength(2);
  });
});
