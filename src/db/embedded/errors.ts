/** A reason the embedded server cannot start, worded as one line for the person starting it. */
export class EmbeddedServerError extends Error {}
