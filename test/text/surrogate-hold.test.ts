import fc from 'fast-check';
import { SurrogateHold } from '../../src/text/surrogate-hold';

const HIGH = '\ud83d';
const LOW = '\ude00'; // HIGH + LOW = 😀

describe('SurrogateHold', () => {
  it('holds a trailing high surrogate back for the next piece', () => {
    const hold = new SurrogateHold();
    expect(hold.take(`Hi ${HIGH}`)).toBe('Hi ');
    expect(hold.take(`${LOW}!`)).toBe(`${HIGH}${LOW}!`);
    expect(hold.release()).toBe('');
  });

  it('holds a piece that is only half a pair whole, and releases a lone half as it is', () => {
    const hold = new SurrogateHold();
    expect(hold.take(HIGH)).toBe('');
    expect(hold.take('')).toBe('');
    expect(hold.release()).toBe(HIGH);
    expect(hold.release()).toBe('');
    expect(hold.take(`a${HIGH}`)).toBe('a');
    expect(hold.take('b')).toBe(`${HIGH}b`);
  });

  it('joins to exactly the text taken, never cutting a surrogate pair', () => {
    const piece = fc.string({ unit: fc.constantFrom('a', HIGH, LOW, '😀'), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const hold = new SurrogateHold();
        const out = pieces.map((text) => hold.take(text));
        const whole = pieces.join('');
        expect(out.join('') + hold.release()).toBe(whole);
        let at = 0;
        for (const text of out) {
          at += text.length;
          const cutsAPair =
            /[\ud800-\udbff]/.test(whole.charAt(at - 1)) &&
            /[\udc00-\udfff]/.test(whole.charAt(at));
          expect(cutsAPair).toBe(false);
        }
      }),
    );
  });
});
