def test_server_answers(postgres_url):
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
