/** A rule that cannot be used, with the 1-based column of the problem in the rule text. */
export class RuleSyntaxError extends Error {
  constructor(
    /** What was wrong and what was expected, without the position. */
    readonly reason: string,
    /** 1-based column in the rule string. */
    readonly column: number,
  ) {
    super(`${reason} at column ${column}`);
    this.name = 'RuleSyntaxError';
  }
}
