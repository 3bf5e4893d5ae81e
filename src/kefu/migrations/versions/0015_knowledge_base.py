"""Knowledge base (M9): articles, versions, feedback, the search index, user dictionary, synonyms, bot sessions

``kb_articles`` (Markdown, draft → review → published, platforms, tags, internal-only) with
``kb_article_versions`` (every saved state: who, when, which fields) and ``kb_feedback`` (有用/没用).
The search index is plain tables ranked by one portable BM25 query (``kefu.kb.search``): ``kb_docs``,
``kb_postings`` (term, article, weighted frequency, impact: the champion lists' order), ``kb_terms`` (document frequencies), ``kb_index_stats``.
``kb_words`` (the segmenter's user dictionary) and ``kb_synonyms`` start with the platform's defaults
(``kefu.kb.defaults``). ``kb_bot_sessions`` / ``kb_bot_turns``: the self-service bot's conversations.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 16:45:55
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kefu.core.db

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kb_index_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('docs', sa.Integer(), nullable=False),
    sa.Column('total_length', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_index_stats'))
    )
    op.create_table('kb_synonyms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('words', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_synonyms'))
    )
    op.create_table('kb_terms',
    sa.Column('term', sa.String(length=40), nullable=False),
    sa.Column('df', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('term', name=op.f('pk_kb_terms'))
    )
    op.create_table('kb_words',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_words')),
    sa.UniqueConstraint('word', name=op.f('uq_kb_words_word'))
    )
    op.create_table('kb_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('product', sa.String(length=60), nullable=True),
    sa.Column('business_line', sa.String(length=40), nullable=True),
    sa.Column('platforms', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('client_versions', sa.String(length=60), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('category_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('internal_only', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.Column('helpful', sa.Integer(), nullable=False),
    sa.Column('not_helpful', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_kb_articles_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_kb_articles_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_articles'))
    )
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.create_index('ix_kb_articles_status_updated', ['status', 'updated_at'], unique=False)

    op.create_table('kb_article_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('changed', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_article_versions_article_id_kb_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_kb_article_versions_changed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_article_versions')),
    sa.UniqueConstraint('article_id', 'version', name='uq_kb_article_versions_article_version')
    )
    op.create_table('kb_docs',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('internal_only', sa.Boolean(), nullable=False),
    sa.Column('product', sa.String(length=60), nullable=True),
    sa.Column('platforms', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_docs_article_id_kb_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', name=op.f('pk_kb_docs'))
    )
    op.create_table('kb_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_feedback_article_id_kb_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kb_feedback_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_feedback'))
    )
    with op.batch_alter_table('kb_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_feedback_article_id'), ['article_id'], unique=False)

    op.create_table('kb_postings',
    sa.Column('term', sa.String(length=40), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('tf', sa.Integer(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('impact', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_postings_article_id_kb_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('term', 'article_id', name=op.f('pk_kb_postings'))
    )
    with op.batch_alter_table('kb_postings', schema=None) as batch_op:
        batch_op.create_index('ix_kb_postings_article', ['article_id'], unique=False)
        batch_op.create_index('ix_kb_postings_champions', ['term', 'impact', 'article_id', 'tf', 'length'],
                              unique=False)

    op.create_table('kb_bot_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('queue_code', sa.String(length=40), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_article_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('resolved_article_id', sa.Integer(), nullable=True),
    sa.Column('chat_id', sa.Integer(), nullable=True),
    sa.Column('handoff_reason', sa.String(length=20), nullable=True),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], name=op.f('fk_kb_bot_sessions_chat_id_chats'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_article_id'], ['kb_articles.id'], name=op.f('fk_kb_bot_sessions_resolved_article_id_kb_articles'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_bot_sessions')),
    sa.UniqueConstraint('token', name=op.f('uq_kb_bot_sessions_token'))
    )
    with op.batch_alter_table('kb_bot_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_kb_bot_sessions_created', ['created_at'], unique=False)

    op.create_table('kb_bot_turns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('article_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['kb_bot_sessions.id'], name=op.f('fk_kb_bot_turns_session_id_kb_bot_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_bot_turns'))
    )
    with op.batch_alter_table('kb_bot_turns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_bot_turns_session_id'), ['session_id'], unique=False)

    from kefu.kb.defaults import synonym_rows, word_rows

    now = datetime.now(UTC)
    words = sa.table("kb_words", sa.column("word", sa.String), sa.column("kind", sa.String),
                     sa.column("created_at", kefu.core.db.UTCDateTime))
    synonyms = sa.table("kb_synonyms", sa.column("words", kefu.core.db.JSONType),
                        sa.column("created_at", kefu.core.db.UTCDateTime))
    op.bulk_insert(words, word_rows(now))
    op.bulk_insert(synonyms, synonym_rows(now))


def downgrade() -> None:
    with op.batch_alter_table('kb_bot_turns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_bot_turns_session_id'))

    op.drop_table('kb_bot_turns')
    with op.batch_alter_table('kb_bot_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_kb_bot_sessions_created')

    op.drop_table('kb_bot_sessions')
    with op.batch_alter_table('kb_postings', schema=None) as batch_op:
        batch_op.drop_index('ix_kb_postings_article')

    op.drop_table('kb_postings')
    with op.batch_alter_table('kb_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_feedback_article_id'))

    op.drop_table('kb_feedback')
    op.drop_table('kb_docs')
    op.drop_table('kb_article_versions')
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.drop_index('ix_kb_articles_status_updated')

    op.drop_table('kb_articles')
    op.drop_table('kb_words')
    op.drop_table('kb_terms')
    op.drop_table('kb_synonyms')
    op.drop_table('kb_index_stats')
