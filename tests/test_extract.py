"""What a page says: contacts, schema.org, platforms, text signals and niche terms, with the page."""

from __future__ import annotations

from prospecting.extract import Vocabulary, page_facts, site_facts

PAGE = """<html><head><title>Harbor Pilates | Reformer classes</title>
<meta name="description" content="Reformer pilates in Charleston.">
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
  {"@type": ["ExerciseGym", "LocalBusiness"], "name": "Harbor Pilates", "telephone": "+1 843-555-0177",
   "email": "mailto:desk@harborpilates.example"}]}</script></head>
<body>
<a href="mailto:hello@harborpilates.example?subject=Hi">Write</a>
<a href="tel:+18435550123">Call</a>
<a href="https://www.instagram.com/harborpilates/">IG</a> <a href="https://facebook.com/harborpilates">FB</a>
<a href="https://www.tiktok.com/@harborpilates">TT</a> <a href="https://www.youtube.com/@harborpilates">YT</a>
<a href="https://www.linkedin.com/company/harbor-pilates">in</a> <a href="https://www.instagram.com/">bare</a>
<a href="https://clients.mindbodyonline.com/classic/ws?studioid=12345">Book a class</a>
<p>Questions? info [at] harborpilates [dot] example or call (843) 555-0188.</p>
<p>Prenatal and postpartum reformer classes. Memberships from $149/month.</p>
<img src="/logo@2x.png">
</body></html>"""


def test_every_kind_of_fact_with_its_page() -> None:
    facts = page_facts(PAGE, "/classes", Vocabulary.load())
    got = {(f.kind, f.value) for f in facts}
    assert {("email", "hello@harborpilates.example"), ("email", "info@harborpilates.example"),
            ("email", "desk@harborpilates.example")} <= got  # fmt: skip
    assert {("phone", "+18435550123"), ("phone", "(843) 555-0188"), ("phone", "+1 843-555-0177")} <= got
    assert {("social", n) for n in ("instagram", "facebook", "tiktok", "youtube", "linkedin")} <= got
    assert {("jsonld", "ExerciseGym"), ("jsonld", "LocalBusiness"), ("platform", "mindbody")} <= got
    assert ("title", "Harbor Pilates | Reformer classes") in got and ("description", "Reformer pilates in Charleston.") in got
    assert {("term", "prenatal"), ("term", "postpartum")} <= got
    price = next(f for f in facts if f.value == "membership_price")
    assert price.page == "/classes" and "$149/month" in price.quote
    assert not any(f.kind == "email" and "logo" in f.value for f in facts)
    instagram = [f for f in facts if f.value == "instagram"]
    assert len(instagram) == 1 and instagram[0].quote == "https://www.instagram.com/harborpilates/"  # not the bare domain


def test_site_facts_keep_the_first_page_that_says_it() -> None:
    pages = [
        ("/", "<p>Direct primary care for families.</p>"),
        ("/pricing", "<p>Direct primary care: $79 per month membership.</p>"),
    ]
    facts = site_facts(pages, Vocabulary.load())
    dpc = [f for f in facts if f.value == "dpc_phrase"]
    assert [f.page for f in dpc] == ["/"]
    assert next(f for f in facts if f.value == "membership_price").page == "/pricing"


def test_insurance_wording() -> None:
    vocabulary = Vocabulary.load()

    def signals(text: str) -> set[str]:
        return {f.value for f in page_facts(f"<p>{text}</p>", "/", vocabulary) if f.kind == "signal"}

    assert "no_insurance" in signals("We are not in network with any insurance plan and we do not file claims.")
    assert "accepts_insurance" not in signals("We are not in network with any insurance plan.")
    assert "accepts_insurance" in signals("We accept most major insurance plans, including Medicare.")
    assert "concierge" in signals("An annual retainer of $2,400 per year covers extended visits.")
    assert "concierge" not in signals("Annual fee $49. Cardio and strength equipment.")
