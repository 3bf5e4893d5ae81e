"""Etiquette-checker throughput: agent messages checked per second on one core (goal ≥ 5,000/s).

A seeded corpus of Chinese chat conversations (外卖/打车/阅读 issues): each agent message is checked in the
context of the conversation before it, as the live check does, so repeated-question look-ups over earlier
agent questions count. About a third of the agent messages carry a violation (forbidden wording, extra
exclamation marks, a repeated question, a number, an internal note or URL, a judging word, no opening).

    .venv/bin/python bench/compliance_bench.py [--conversations 2000] [--seed 7] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import time

from kefu.compliance import Message, check, default_rules

OPENINGS = ["您好,很高兴为您服务,请问有什么可以帮到您?", "您好,欢迎咨询外卖客服,我是客服小李,请问有什么可以帮您?",
            "你好,这里是在线客服,请问您遇到了什么问题?"]
ISSUES = ["外卖超时一个小时还没送到", "收到的餐少了一份米饭", "骑手态度很差", "红包没有到账", "书籍章节无法阅读",
          "充值了书币没到账", "司机绕路多收了钱", "退款申请一直没处理", "商家拒绝退款", "优惠券用不了"]
QUESTIONS = ["请问您的订单号是多少?", "请问是哪一天下的单?", "请问您的收货地址是哪里?", "请问骑手有没有联系您?",
             "请问您是用微信支付的吗?", "请问餐品具体是哪里有问题呢?", "请问您的账号绑定的手机号是多少?",
             "请问您看的是哪一本书呢?", "请问司机的车牌号您还记得吗?", "请问退款是什么时候申请的?"]
REPLIES = ["好的,正在为您查询,请您稍等。", "感谢您的耐心等待,已经为您核实到订单信息。",
           "您的情况我们会为您反馈给相关人员核实确认的,请您放心。", "已经为您催促骑手,预计20分钟内送达。",
           "红包会在1-3个工作日内退回您的账户,请注意查收。", "非常理解您的心情,给您带来不便非常抱歉。",
           "已为您申请了10元无门槛红包作为补偿,您看可以吗?", "这本书的章节正在修复中,修复后会第一时间通知您。"]
BAD = ["这个问题我帮您提交给技术部门。", "已经给您退款了!!请查收!", "您这就是无理取闹,规定就是这样。",
       "商家电话是13987654321,您自己联系吧。", "内部备注:该用户多次投诉,注意话术。",
       "详情可以看 http://crm.corp/ticket/88231 这个链接。", "我也不知道为什么,没办法。",
       "和您核对一下,身份证11010519491231002X对吗?", "呵呵,您再看看吧。"]
CLOSINGS = ["请问您还有其他问题需要咨询吗?", "感谢您的咨询,祝您生活愉快,再见。"]
CUSTOMER = ["嗯", "好的", "2026112300012345", "北京市朝阳区望京街道", "对", "还没有", "谢谢", "快点处理",
            "我手机13812345678", "昨天晚上"]


def conversation(rng: random.Random) -> list[Message]:
    msgs = [Message("customer", f"在吗?{rng.choice(ISSUES)}")]
    msgs.append(Message("agent", rng.choice(OPENINGS) if rng.random() > 0.05 else "请问有什么问题?"))
    for _ in range(rng.randint(3, 9)):
        msgs.append(Message("customer", rng.choice(CUSTOMER)))
        roll = rng.random()
        text = rng.choice(BAD) if roll < 0.25 else rng.choice(QUESTIONS) if roll < 0.55 else rng.choice(REPLIES)
        msgs.append(Message("agent", text))
    msgs += [Message("agent", c) for c in CLOSINGS]
    return msgs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="timed passes over the corpus; the best is reported")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = []  # (text, context, closing)
    for conv in (conversation(rng) for _ in range(args.conversations)):
        agent_at = [i for i, m in enumerate(conv) if m.role == "agent"]
        work += [(conv[i].text, conv[:i], i == agent_at[-1]) for i in agent_at]
    rules = default_rules()
    check(work[0][0], work[0][1], rules=rules)  # compile the patterns outside the timing
    best, flagged, blocking = 0.0, 0, 0
    for _ in range(args.repeat):
        flagged = blocking = 0
        t0 = time.perf_counter()
        for text, context, closing in work:
            found = check(text, context, closing=closing, rules=rules)
            flagged += bool(found)
            blocking += any(v.blocking for v in found)
        rate = len(work) / (time.perf_counter() - t0)
        best = max(best, rate)
    contexts = sum(len(c) for _t, c, _x in work) / len(work)
    print(f"{len(work)} agent messages ({args.conversations} conversations, mean context {contexts:.1f} messages): "
          f"{flagged} flagged, {blocking} blocked")
    print(f"best of {args.repeat}: {best:,.0f} messages/s on one core "
          f"(nproc {os.cpu_count()}, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()
