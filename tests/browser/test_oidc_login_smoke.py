"""Logging in with Streamlit's own ``st.login`` works end to end: a real browser, a real
OpenID Connect provider process (oidc-provider-mock), Streamlit's real /oauth2callback
and cookie; no ``st.user`` is faked. A tiny app, so that this proves the machinery the
map app's roles are built on, and the helpers in ``oidc.py`` the role tests use."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from conftest import ARTIFACTS, OfflinePage
from oidc import end_session, free_port, login, oidc_provider, streamlit_server, write_auth_secrets

EMAIL = "ana@example.org"
APP = '''
import streamlit as st

st.title("Login smoke")
if st.user.get("is_logged_in"):
    st.markdown(f"Signed in as `{st.user.email}`")
    if st.button("Log out"):
        st.logout()
else:
    st.markdown("Not signed in")
    if st.button("Log in"):
        st.login()
'''


def test_a_person_logs_in_at_the_provider_sees_their_email_and_logs_out(browser, tmp_path):
    (tmp_path / "app.py").write_text(APP)
    port = free_port()
    with oidc_provider(log=tmp_path / "oidc.log") as issuer:
        secrets_file = write_auth_secrets(tmp_path / "secrets", issuer, port)
        with streamlit_server(tmp_path / "app.py", port, secrets_file,
                              log=tmp_path / "streamlit.log") as url:
            view = OfflinePage(browser, url, width=1000, height=700)
            page = view.page
            try:
                page.goto(url)
                page.get_by_text("Not signed in").wait_for(timeout=30_000)
                assert EMAIL not in page.inner_text("body")
                view.screenshot("oidc-1-logged-out")

                page.get_by_role("button", name="Log in").click()
                page.get_by_placeholder("sub").wait_for(timeout=30_000)
                assert page.url.startswith(f"{issuer}/oauth2/authorize?")
                asked = parse_qs(urlparse(page.url).query)
                assert asked["redirect_uri"] == [f"{url}/oauth2callback"]
                page.screenshot(path=str(ARTIFACTS / "oidc-2-provider.png"))
                login(page, EMAIL)

                signed_in = page.get_by_text(f"Signed in as {EMAIL}")
                signed_in.wait_for(timeout=30_000)
                assert page.url.rstrip("/") == url
                assert {c["name"] for c in view.context.cookies()} >= {"_streamlit_user"}
                view.screenshot("oidc-3-logged-in")

                page.reload()  # a new session: the identity is the cookie's
                signed_in.wait_for(timeout=30_000)

                page.get_by_role("button", name="Log out").click()
                end_session(page)
                page.get_by_text("Not signed in").wait_for(timeout=30_000)
                assert EMAIL not in page.inner_text("body")
                assert "_streamlit_user" not in {c["name"] for c in view.context.cookies()}
                view.screenshot("oidc-4-logged-out-again")

                # the app asked for nothing outside; the mock's own pages load a stylesheet
                # from a CDN (blocked: its form works without it)
                assert all("cdn.jsdelivr.net" in b for b in view.blocked), view.blocked
                assert view.errors == []
            except Exception:
                view.screenshot("oidc-failed")
                raise
            finally:
                view.close()
