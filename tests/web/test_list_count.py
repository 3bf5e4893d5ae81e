"""The ticket list says when its count stopped at the cap ("1000+"), and still offers the next page."""

from __future__ import annotations

from kefu.tickets import queries
from web.helpers import login, new_ticket


def test_capped_count_reads_n_plus_and_the_next_page_is_there(client, world, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    monkeypatch.setattr("kefu.web.tickets.PAGE_SIZE", 2)
    csrf = login(client, "agent")
    made = [new_ticket(client, csrf, subject=f"骑手送错地址{i}") for i in range(6)]
    page = client.get("/tickets").text
    assert "共 3+ 条" in page  # more than three match; the count stopped there
    assert "page=2" in page  # a capped count still links onward
    page = client.get("/tickets", params={"page": 3}).text
    assert "共 6 条" in page  # the last page counts everything before it: exact
    found = client.get("/tickets", params={"q": "送错地址"}).text
    # a search lists the newest matches first, as the API does
    assert found.index(f"#{made[5]}") < found.index(f"#{made[4]}")
