// What no terminal output may hold raw: a character a terminal would act on instead of
// showing (newlines aside, which tests check line by line).
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

/** A string from a hostile file: a forged line, a screen clear, colour, a C1 CSI, a bidi override. */
export const HOSTILE = 'evil\n\x1b[2J\x1b[31mPWNED\x1b[0m\x9b1m\u202etxt';
