import { Arrivals } from '../../src/text/arrivals';

describe('Arrivals', () => {
  it('gives the arrival time of each character by its offset', () => {
    const arrivals = new Arrivals();
    expect(arrivals.add(3, 100)).toBe(3);
    expect(arrivals.add(2, 150)).toBe(5);
    expect(arrivals.at(0)).toBe(100);
    expect(arrivals.at(2)).toBe(100);
    expect(arrivals.at(3)).toBe(150);
    expect(arrivals.at(4)).toBe(150);
  });

  it('keeps counting offsets after clear, forgetting only the marks', () => {
    const arrivals = new Arrivals();
    arrivals.add(4, 10);
    arrivals.clear();
    expect(arrivals.add(2, 20)).toBe(6);
    expect(arrivals.at(4)).toBe(20);
  });

  it('drops the marks it has passed, with answers unchanged', () => {
    const arrivals = new Arrivals();
    for (let i = 0; i < 1000; i++) arrivals.add(1, i);
    for (let offset = 0; offset < 1000; offset += 7) expect(arrivals.at(offset)).toBe(offset);
    expect(arrivals.at(999)).toBe(999);
  });
});
