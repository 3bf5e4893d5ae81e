"""WeChat encrypted mode (安全模式 / 兼容模式): pushes encrypted here, in the test, from the documented
algorithm (AES-256-CBC, key = base64(EncodingAESKey + "="), IV = its first 16 bytes, PKCS#7 to 32 bytes,
16 random bytes + big-endian length + XML + AppID), the platform's published sample vector, bad
signatures, another AppID, a changed ciphertext, replays and the encrypted URL check."""

from __future__ import annotations

import base64
import os
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import func, select

from channels.test_wechat import OPENID, TOKEN, URL, _ticket_of, sha1_sorted, xml
from kefu.channels import wechat_crypto
from kefu.channels.models import InboundMessage
from kefu.contacts.models import Contact
from kefu.core.settings import get_settings
from kefu.tickets.models import TicketMessage

AES_KEY = "Kf2026wxSafeModeEncodingAesKey0123456789abc"  # 43 characters, as the back office generates
APP_ID = "wx5d2a9c7e31b04f68"


@pytest.fixture(autouse=True)
def wechat_settings(monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "wechat_token", TOKEN)
    monkeypatch.setattr(settings, "wechat_encoding_aes_key", AES_KEY)
    monkeypatch.setattr(settings, "wechat_app_id", APP_ID)


def encrypt(message: bytes, *, app_id: str = APP_ID, encoding_aes_key: str = AES_KEY) -> str:
    """The platform's side, written out from the documentation independently of kefu."""
    key = base64.b64decode(encoding_aes_key + "=")
    plain = os.urandom(16) + struct.pack(">I", len(message)) + message + app_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def envelope(ciphertext: str, *, plain: bytes = b"") -> bytes:
    """安全模式 sends only ToUserName and Encrypt; 兼容模式 the plain fields too (``plain``)."""
    inner = plain.removeprefix(b"<xml>").removesuffix(b"</xml>")
    return (b"<xml><ToUserName><![CDATA[gh_3f8a2c1d9e07]]></ToUserName>" + inner
            + f"<Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>".encode())


def signed_aes(clock, ciphertext: str, *, token: str = TOKEN, nonce: str = "2046185739", skew: int = 0) -> dict:
    ts = str(int(clock.now().timestamp()) + skew)
    return {"signature": sha1_sorted(token, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": OPENID,
            "encrypt_type": "aes", "msg_signature": sha1_sorted(token, ts, nonce, ciphertext)}


def push_aes(client, clock, message: bytes, *, compatible: bool = False, **kw):
    ciphertext = encrypt(message)
    body = envelope(ciphertext, plain=message if compatible else b"")
    return client.post(URL, params=signed_aes(clock, ciphertext, **kw), content=body,
                       headers={"Content-Type": "text/xml"})


def _count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_the_published_sample_vector_decrypts():
    """The WXBizMsgCrypt sample's values (EncodingAESKey, token spamtest, its msg_signature and ciphertext)."""
    ciphertext = (
        "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2L"
        "dJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6u"
        "x5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJ"
        "pXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCz"
        "pu9GhglF2PE=")
    assert sha1_sorted("spamtest", "1409735669", "1320562132", ciphertext) == "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
    key = wechat_crypto.aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
    message = wechat_crypto.decrypt(ciphertext, key=key, app_id="wx2c2769f8efd9abc2")
    assert b"<Content><![CDATA[abcdteT]]></Content>" in message and b"<MsgId>6054768590064713728</MsgId>" in message
    with pytest.raises(wechat_crypto.DecryptError):
        wechat_crypto.decrypt(ciphertext, key=key, app_id="wx2c2769f8efd9abf2")


def test_an_encrypted_push_opens_a_ticket_and_keeps_the_plaintext(client, db, world, clock):
    r = push_aes(client, clock, xml(clock, Content="外卖少送了一份米饭,麻烦退款", msg_id="8001"))
    assert r.status_code == 200 and r.text == "success"
    (ticket,) = _ticket_of(db)
    assert (ticket.channel, ticket.subject) == ("wechat", "外卖少送了一份米饭,麻烦退款")
    stored = db.scalar(select(InboundMessage).where(InboundMessage.external_id == "8001"))
    assert stored is not None and stored.status == "processed"
    # 兼容模式: the same message in plain and encrypted; a replay of it is taken once
    clock.advance(minutes=1)
    r = push_aes(client, clock, xml(clock, Content="还有一杯奶茶也没到", msg_id="8002"), compatible=True)
    assert r.status_code == 200
    r = push_aes(client, clock, xml(clock, Content="还有一杯奶茶也没到", msg_id="8002"), nonce="11")
    assert r.status_code == 200
    assert list(db.scalars(select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id))) == [
        "还有一杯奶茶也没到"]
    assert _count(db, Contact, Contact.channel == "wechat") == 2


def test_the_decrypted_message_wins_over_the_plain_fields_of_a_compatible_push(client, db, world, clock):
    real = xml(clock, Content="红包提现失败", msg_id="8101")
    ciphertext = encrypt(real)
    forged_plain = xml(clock, Content="伪造的明文内容", msg_id="8101")
    body = envelope(ciphertext, plain=forged_plain)
    assert client.post(URL, params=signed_aes(clock, ciphertext), content=body).status_code == 200
    (ticket,) = _ticket_of(db)
    assert ticket.description == "红包提现失败"


def test_a_wrong_or_missing_msg_signature_is_403_and_stores_nothing(client, db, world, clock):
    message = xml(clock, Content="你好", msg_id="8201")
    ciphertext = encrypt(message)
    body = envelope(ciphertext)
    wrong = {**signed_aes(clock, ciphertext), "msg_signature": sha1_sorted("guessed", "1", "2", ciphertext)}
    assert client.post(URL, params=wrong, content=body).status_code == 403
    # right token, but the signature of another ciphertext
    other = {**signed_aes(clock, ciphertext), "msg_signature": signed_aes(clock, encrypt(message))["msg_signature"]}
    r = client.post(URL, params=other, content=body)
    assert r.status_code == 403 and r.json()["field"] == "msg_signature"
    missing = {k: v for k, v in signed_aes(clock, ciphertext).items() if k != "msg_signature"}
    assert client.post(URL, params=missing, content=body).status_code == 403
    assert _count(db, InboundMessage) == 0 and _ticket_of(db) == []


def test_a_stale_encrypted_push_is_refused_as_a_replay(client, db, world, clock):
    r = push_aes(client, clock, xml(clock, Content="你好", msg_id="8301"), skew=-301)
    assert r.status_code == 403 and r.json()["field"] == "timestamp"
    assert _count(db, InboundMessage) == 0


@pytest.mark.parametrize("case", ["another-appid", "another-key", "tampered", "truncated", "not-base64", "empty"])
def test_a_ciphertext_that_does_not_open_is_400_and_stores_nothing(case, client, db, world, clock):
    message = xml(clock, Content="骑手态度很差", msg_id="8401")
    ciphertext = {
        "another-appid": lambda: encrypt(message, app_id="wx0000000000000000"),
        "another-key": lambda: encrypt(message, encoding_aes_key="Z" * 43),
        "tampered": lambda: _flip_last_block(encrypt(message)),
        "truncated": lambda: encrypt(message)[:-8],
        "not-base64": lambda: "这不是密文",
        "empty": lambda: "",
    }[case]()
    r = client.post(URL, params=signed_aes(clock, ciphertext), content=envelope(ciphertext))
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "Encrypt"
    assert _count(db, InboundMessage) == 0 and _ticket_of(db) == []


def _flip_last_block(ciphertext: str) -> str:
    """A byte changed in the second-to-last block: the last block, padding included, decrypts to garbage."""
    data = bytearray(base64.b64decode(ciphertext))
    data[-17] ^= 0x5A
    return base64.b64encode(bytes(data)).decode()


def test_encrypted_requests_without_the_key_configured_are_refused(client, db, world, clock, monkeypatch):
    monkeypatch.setattr(get_settings(), "wechat_encoding_aes_key", None)
    assert push_aes(client, clock, xml(clock, Content="你好", msg_id="8501")).status_code == 403
    # plain-mode pushes still work
    plain = {"signature": sha1_sorted(TOKEN, str(int(clock.now().timestamp())), "7"),
             "timestamp": str(int(clock.now().timestamp())), "nonce": "7"}
    assert client.post(URL, params=plain, content=xml(clock, Content="你好", msg_id="8502")).status_code == 200


def test_the_encrypted_url_check_answers_the_decrypted_echostr(client, clock):
    echostr = encrypt(b"4521830927715496733")
    r = client.get(URL, params={**signed_aes(clock, echostr), "echostr": echostr})
    assert r.status_code == 200 and r.text == "4521830927715496733"
    bad = {**signed_aes(clock, echostr, token="wrong"), "echostr": echostr}
    assert client.get(URL, params=bad).status_code == 403
    other_app = encrypt(b"4521830927715496733", app_id="wx0000000000000000")
    assert client.get(URL, params={**signed_aes(clock, other_app), "echostr": other_app}).status_code == 400


def test_the_settings_refuse_a_malformed_encoding_aes_key(monkeypatch):
    from pydantic import ValidationError

    from kefu.core.settings import Settings

    monkeypatch.setenv("KEFU_WECHAT_ENCODING_AES_KEY", "too-short")
    with pytest.raises(ValidationError):
        Settings()
    with pytest.raises(ValueError):
        wechat_crypto.aes_key("abc")
