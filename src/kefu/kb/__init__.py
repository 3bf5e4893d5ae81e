"""Knowledge base (知识库, SPEC M9): articles, Chinese search, suggestions and the self-service bot (智能客服)."""
