/** A username: letters, digits and `._@-`, starting with a letter or digit, at most 64 characters. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const USERNAME_RULE = 'letters, digits and ._@- (starting with a letter or digit), at most 64 characters';

/** Passwords: at least this long (a passphrase), at most 256 so hashing one stays cheap. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
