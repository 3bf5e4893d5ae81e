"""WeChat message encryption (消息加解密, 安全模式 / 兼容模式): pure functions, no web framework, no database.

The platform's scheme (its WXBizMsgCrypt sample code does the same):

* ``msg_signature`` = SHA-1 hex of the sorted token, ``timestamp``, ``nonce`` and the ``<Encrypt>`` text
  (for the URL check, the encrypted ``echostr``);
* AES key = base64-decode(EncodingAESKey + "=") (43 characters → 32 bytes), AES-256-CBC with the key's first
  16 bytes as IV, PKCS#7 padding to 32-byte blocks;
* plaintext = 16 random bytes + the message's length (4 bytes, big-endian) + the message + the AppID, which
  must be the account's own.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeChat pads to 32 bytes (PKCS#7 over a 32-byte block), not AES's 16
ENCODING_AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")


class DecryptError(ValueError):
    """The ciphertext does not open with this key and AppID (not base64, bad padding, wrong length or AppID)."""


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of a 43-character EncodingAESKey."""
    if not ENCODING_AES_KEY.match(encoding_aes_key):
        raise ValueError("an EncodingAESKey is 43 letters and digits")
    return base64.b64decode(encoding_aes_key + "=")


def decrypt(ciphertext: str, *, key: bytes, app_id: str) -> bytes:
    """The message inside one ``<Encrypt>`` text (or an encrypted ``echostr``); raises ``DecryptError``."""
    try:
        data = base64.b64decode(ciphertext.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DecryptError("the ciphertext is not base64") from None
    if not data or len(data) % 16:
        raise DecryptError("the ciphertext is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise DecryptError("bad padding (another key, or the ciphertext was changed)")
    plain = plain[:-pad]
    if len(plain) < 20:
        raise DecryptError("the plaintext is too short")
    (length,) = struct.unpack(">I", plain[16:20])
    if length > len(plain) - 20:
        raise DecryptError("the message length does not fit the plaintext")
    message, sender = plain[20:20 + length], plain[20 + length:]
    if not hmac.compare_digest(sender, app_id.encode()):
        raise DecryptError("the message is for another AppID")
    return message
