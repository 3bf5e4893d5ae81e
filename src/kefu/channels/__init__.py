"""Channel adapters (M1): e-mail, WeChat, Weibo, regulator and internal intake, one interface."""
