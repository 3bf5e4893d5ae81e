"""The demo's people: Chinese names, phones and addresses, the staff roster and its teams."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

DEMO_PASSWORD = "kefu-demo-2026"

SURNAMES = (
    "王" * 10
    + "李" * 10
    + "张" * 9
    + "刘" * 8
    + "陈" * 7
    + "杨" * 5
    + "黄" * 4
    + "赵" * 4
    + "吴" * 3
    + "周" * 3
    + "徐" * 3
    + "孙" * 3
    + "马" * 2
    + "朱" * 2
    + "胡" * 2
    + "郭" * 2
    + "何" * 2
    + "高" * 2
    + "林" * 2
    + "罗" * 2
    + "郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆"
    "汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林峰建国志文博晨阳亮"
FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪琳颖倩欣怡佳悦慧蕾璐莹秀英兰桂萍红梅丹晶"
CITIES = {
    "北京市": ("朝阳区", "海淀区", "丰台区", "昌平区"),
    "上海市": ("浦东新区", "徐汇区", "闵行区", "静安区"),
    "广州市": ("天河区", "海珠区", "白云区"),
    "深圳市": ("南山区", "福田区", "宝安区"),
    "杭州市": ("西湖区", "滨江区", "余杭区"),
    "成都市": ("武侯区", "锦江区", "高新区"),
    "武汉市": ("洪山区", "江汉区"),
    "郑州市": ("金水区", "二七区"),
    "新乡市": ("红旗区", "卫滨区"),
    "南京市": ("鼓楼区", "江宁区"),
    "西安市": ("雁塔区", "未央区"),
    "重庆市": ("渝北区", "江北区"),
}
ROADS = (
    "人民路",
    "建设路",
    "解放路",
    "中山路",
    "望京街",
    "科技园路",
    "文化路",
    "学院路",
    "和平路",
    "滨江大道",
)
PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
CUSTOMER_ROLE_WEIGHTS = {"consumer": 72, "merchant": 9, "rider": 8, "passenger": 8, "driver": 3}

# (username, display name, role, team index or None)
STAFF = [
    ("admin", "系统管理员", "admin", None),
    ("supervisor1", "周建华", "supervisor", None),
    ("supervisor2", "孙丽", "supervisor", None),
    ("analyst1", "吴思远", "analyst", None),
    ("analyst2", "郑佳", "analyst", None),
    ("qa1", "冯晓梅", "qa", None),
    ("qa2", "蒋涛", "qa", None),
    ("listener1", "韩雪", "listener", None),
    ("listener2", "唐宇", "listener", None),
    ("lead1", "王芳", "team_lead", 0),
    ("lead2", "李强", "team_lead", 1),
    ("lead3", "陈静", "team_lead", 2),
    ("agent1", "王小明", "agent", 0),
    ("agent2", "刘婷", "agent", 0),
    ("agent3", "张磊", "agent", 0),
    ("agent4", "赵敏", "agent", 0),
    ("agent5", "黄俊", "agent", 0),
    ("agent6", "杨欣怡", "agent", 0),
    ("agent7", "侯丹丹", "agent", 1),
    ("agent8", "李仁", "agent", 1),
    ("agent9", "徐鹏", "agent", 1),
    ("agent10", "马悦", "agent", 1),
    ("agent11", "朱浩", "agent", 1),
    ("trainee1", "何晨", "trainee", 0),
    ("trainee2", "林雪", "trainee", 0),
    ("trainee3", "郭帆", "trainee", 1),
    ("specialist1", "杨震", "complaint_specialist", 2),
    ("specialist2", "罗慧", "complaint_specialist", 2),
    ("specialist3", "谢文博", "complaint_specialist", 2),
    ("specialist4", "宋佳", "complaint_specialist", 2),
]
TEAMS = [("一线客服一组", "frontline"), ("一线客服二组", "frontline"), ("投诉处理组", "complaints")]
LOGIN_USERS = (
    "admin",
    "supervisor1",
    "lead1",
    "agent1",
    "trainee1",
    "specialist1",
    "analyst1",
    "qa1",
    "listener1",
)


def demo_logins() -> list[tuple[str, str, str]]:
    """One sign-in per role: (username, password, role)."""
    roles = {u: r for u, _, r, _ in STAFF}
    return [(u, DEMO_PASSWORD, roles[u]) for u in LOGIN_USERS]



@dataclass
class Person:
    """A demo customer as the planner sees them."""

    id: int
    name: str
    sal: str  # how an agent addresses them: 王女士 / 李先生
    role: str


def name_pinyin_stub(rng: random.Random) -> str:
    """An ASCII mailbox name (people pick their own, pinyin-ish)."""
    syllables = ("wang", "li", "zhang", "liu", "chen", "yang", "xiao", "ming", "hua", "jing", "lei", "fang",
                 "ting", "hao", "yu", "xin", "jun", "mei")
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3)))


def _address(rng: random.Random, role: str) -> str | None:
    city = rng.choice(list(CITIES))
    if role in ("merchant", "consumer") and rng.random() < (0.9 if role == "merchant" else 0.45):
        return (
            f"{city}{rng.choice(CITIES[city])}{rng.choice(ROADS)}{rng.randint(1, 300)}号"
            f"{rng.randint(1, 20)}号楼{rng.randint(1, 6)}单元"
            f"{rng.randint(1, 30)}{rng.randint(1, 4):02d}"
        )
    return None


def _email(rng: random.Random) -> str | None:
    if rng.random() >= 0.22:
        return None
    return rng.choice(
        (
            f"{rng.randrange(10**6, 10**10)}@qq.com",
            f"{name_pinyin_stub(rng)}{rng.randint(1, 9999)}@163.com",
            f"{name_pinyin_stub(rng)}{rng.randint(1, 999)}@126.com",
        )
    )


def _openid(rng: random.Random) -> str | None:
    if rng.random() >= 0.4:
        return None
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "o" + "".join(rng.choice(alphabet) for _ in range(27))


def customers(rng: random.Random, n: int, now: datetime) -> list[tuple[dict, Person]]:
    """``n`` customers, every role present: the column values of each, and how the planner sees them."""
    roles, weights = zip(*CUSTOMER_ROLE_WEIGHTS.items(), strict=True)
    phones: set[str] = set()
    out: list[tuple[dict, Person]] = []
    for i in range(n):
        male = rng.random() < 0.5
        pool = MALE if male else FEMALE
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.6 else "")
        surname = rng.choice(SURNAMES)
        name = surname + given
        role = rng.choices(roles, weights)[0] if i >= len(roles) else roles[i]
        while True:
            phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if phone not in phones:
                phones.add(phone)
                break
        address = _address(rng, role)
        email = _email(rng)
        openid = _openid(rng)
        created = now - timedelta(days=rng.uniform(31, 900))
        row = {"name": name, "role": role, "phone": phone, "email": email, "wechat_openid": openid,
               "address": address, "created_at": created, "updated_at": created}
        out.append((row, Person(0, name, surname + ("先生" if male else "女士"), role)))
    return out
