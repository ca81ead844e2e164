"""What a new password must be: long enough, not the username, not one of the passwords every
password-guessing list starts with. Temporary passwords are random and shown once."""

from __future__ import annotations

import secrets

MIN_LENGTH = 10
MAX_LENGTH = 200
# The most common passwords in published leak lists (Chinese sites included) and obvious local ones.
KNOWN_WEAK = frozenset(
    """
    123456789 1234567890 12345678910 0123456789 987654321 9876543210 1111111111 0000000000 8888888888
    6666666666 1234512345 1122334455 1234567890a a123456789 a1234567890 123456789a 1qaz2wsx3edc
    1q2w3e4r5t qwertyuiop qwerty1234 qwerty12345 asdfghjkl; zxcvbnm123 password123 password12 password1!
    p@ssw0rd123 passw0rd123 iloveyou12 woaini1314 woaini5201314 5201314520 1314520520 abc1234567
    abcd123456 abcdefg123 admin12345 admin123456 administrator root123456 test123456 demo123456
    welcome123 changeme123 letmein123 hotline123 hotline12345 12345hotline 12345678900 147258369a
    1472583690 159753123 qazwsxedc123 aa12345678 zz12345678 111111aaaa 88888888aa
    """.split()
)


def password_problem(password: str, username: str) -> str | None:
    """Why `password` may not be used by `username`, in Chinese; None when it may."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 位"
    if len(password) > MAX_LENGTH:
        return f"密码最多 {MAX_LENGTH} 位"
    lowered = password.lower()
    if username.lower() in lowered:
        return "密码不能包含用户名"
    if lowered in KNOWN_WEAK or len(set(lowered)) <= 2:
        return "密码过于常见或简单，容易被猜到，请换一个"
    return None


def temporary_password() -> str:
    """A random password an administrator hands over once; the user must change it at the first login."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I to misread
    return "".join(secrets.choice(alphabet) for _ in range(12))
