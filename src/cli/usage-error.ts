/**
 * A mistake in the command line (an unknown option, a bad value, a missing prompt): `main`
 * prints it with the usage text and exits 2, where any other failure exits 1.
 */
export class UsageError extends Error {}
