/** `1 error`, `2 errors`; `many` for words whose plural is not WORD+s (`1 entry`, `2 entries`). */
export const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;
