from __future__ import annotations

import openpyxl
from sqlalchemy import func, select

from bot import audit
from bot.directory.importer import import_file
from bot.model import AuditEvent, Contact, ContactChange, State

HEADER = "state,role,instrument,name,title,organisation,emails,phone,languages,access,address\n"
GOOD = (
    HEADER
    + "KE,focal point,,Grace Wanjiru,Senior State Counsel,Attorney-General,fp.ke@example.org; alt.ke@example.org,+254 20 1,en,public,Nairobi\n"  # noqa: E501
    + 'Senegal,art. 18,UNTOC,Aminata Diallo,,Ministère de la Justice,mla.sn@example.org,,fr,restricted,"Dakar\nSénégal"\n'  # noqa: E501
    + "Côte d'Ivoire,permanent mission,,,,Mission permanente,mission.ci@example.net,,,,\n"
)


def _contacts(session) -> list[Contact]:
    return session.scalars(select(Contact).order_by(Contact.id)).all()


def _events(session, action: str) -> list[AuditEvent]:
    return session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    ).all()


def test_it_imports_a_csv(seeded, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = import_file(seeded, path, actor="test")
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    ke, sn, ci = _contacts(seeded)
    assert (ke.role, ke.emails, ke.languages, ke.access) == (
        "focal_point",
        ["fp.ke@example.org", "alt.ke@example.org"],
        ["en"],
        "public",
    )
    assert (sn.state_code, sn.role, sn.instrument_code, sn.access, sn.address) == (
        "SN",
        "mla",
        "UNTOC",
        "restricted",
        "Dakar\nSénégal",
    )
    assert (ci.state_code, ci.role) == ("CI", "mission")
    assert seeded.get(State, "KE").directory_updated_at is not None
    assert len(_events(seeded, "contact.created")) == 3
    assert audit.verify(seeded).ok


def test_it_reads_semicolons_and_a_bom(seeded, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(
        b"\xef\xbb\xbfState;Role;E-mail\nMX;focal_point;fp.mx@example.org,otro.mx@example.org\n"
    )
    result = import_file(seeded, path, actor="test")
    assert result.ok, result.errors
    assert _contacts(seeded)[0].emails == ["fp.mx@example.org", "otro.mx@example.org"]


def test_it_imports_an_xlsx(seeded, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["State", "Role", "Name", "Emails", "Phone", "Languages"])
    sheet.append(["EG", "focal_point", "أحمد سامي", "fp.eg@example.org", 2020000001, "ar, en"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["China", "extradition", "李明", "ext.cn@example.org", None, "zh"])
    path = tmp_path / "contacts.xlsx"
    book.save(path)
    result = import_file(seeded, path, actor="test")
    assert result.ok, result.errors
    eg, cn = _contacts(seeded)
    assert (eg.name, eg.phone, eg.languages) == ("أحمد سامي", "2020000001", ["ar", "en"])
    assert (cn.state_code, cn.role, cn.name) == ("CN", "extradition", "李明")


def test_bad_rows_import_nothing_and_are_all_reported(seeded, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(
        HEADER
        + "KE,focal_point,,A,,,fp.ke@example.org,,en,,\n"
        + "XX,focal_point,,B,,,not-an-address,,en,,\n"
        + "FR,minister,,C,,,fp.fr@example.org,,de,secret,\n"
        + "FR,mla,,D,,,mla.fr@example.org,,fr,,\n",
        encoding="utf-8",
    )
    result = import_file(seeded, path, actor="test")
    assert not result.ok
    assert {e.row for e in result.errors} == {3, 4}
    text = "\n".join(map(str, result.errors))
    assert "row 3: state: unknown State 'XX'" in text and "row 3: emails: 'not-an-address'" in text
    assert "row 4: role: unknown role 'minister'" in text
    assert "row 4: languages: de" in text and "row 4: access" in text
    assert _contacts(seeded) == [] and _events(seeded, "contact.created") == []


def test_header_injection_and_missing_email_are_refused(seeded, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["state", "role", "name", "emails"])
    book.active.append(["KE", "focal_point", "Grace\r\nBcc: x@example.org", "fp.ke@example.org"])
    book.active.append(["KE", "alternate", "Peter", ""])
    book.active.append(["KE", "mla", "Office", ""])
    path = tmp_path / "contacts.xlsx"
    book.save(path)
    result = import_file(seeded, path, actor="test")
    assert [(e.row, e.message.split(":")[0]) for e in result.errors] == [(2, "name"), (3, "emails")]


def test_a_missing_or_unknown_column_is_reported_on_row_1(seeded, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("state,role,emial\nKE,focal_point,fp.ke@example.org\n", encoding="utf-8")
    messages = [str(e) for e in import_file(seeded, path, actor="test").errors]
    assert messages == [
        "row 1: unknown column 'emial' (columns: state, role, instrument, name, title, "
        "organisation, emails, phone, fax, address, languages, info, office_hours, access, "
        "state_last_updated)",
        "row 1: the required column 'emails' is missing",
    ]


def test_a_repeated_contact_is_reported(seeded, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(
        "state,role,emails\nKE,focal_point,fp.ke@example.org\nKE,focal point,FP.KE@example.org\n"
    )
    [error] = import_file(seeded, path, actor="test").errors
    assert str(error) == "row 3: repeats the contact in row 2"


def test_an_update_writes_one_event_with_the_changed_fields(seeded, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(GOOD, encoding="utf-8")
    import_file(seeded, path, actor="test")
    seeded.commit()
    before = seeded.get(State, "KE").directory_updated_at
    changed = GOOD.replace("Senior State Counsel", "Chief State Counsel").replace(
        ",+254 20 1,", ",+254 20 2,"
    )
    path.write_text(changed, encoding="utf-8")
    result = import_file(seeded, path, actor="officer")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    [event] = _events(seeded, "contact.updated")
    assert audit.data_of(event)["fields"] == ["title", "phone"]
    assert [(c.field, c.old, c.new) for c in seeded.scalars(select(ContactChange))] == [
        ("title", "Senior State Counsel", "Chief State Counsel"),
        ("phone", "+254 20 1", "+254 20 2"),
    ]
    assert event.actor == "officer"
    ke = _contacts(seeded)[0]
    assert (ke.title, ke.phone) == ("Chief State Counsel", "+254 20 2")
    assert seeded.get(State, "KE").directory_updated_at > before
    assert audit.verify(seeded).ok


def test_reimporting_the_same_file_changes_nothing(seeded, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(GOOD, encoding="utf-8")
    import_file(seeded, path, actor="test")
    count = seeded.scalar(select(func.count()).select_from(AuditEvent))
    result = import_file(seeded, path, actor="test")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert seeded.scalar(select(func.count()).select_from(AuditEvent)) == count


def test_columns_left_out_are_not_touched(seeded, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(GOOD, encoding="utf-8")
    import_file(seeded, path, actor="test")
    path.write_text("state,role,instrument,emails,phone\nSN,mla,UNTOC,mla.sn@example.org,+221 1\n")
    assert import_file(seeded, path, actor="test").updated == 1
    sn = _contacts(seeded)[1]
    assert (sn.phone, sn.access, sn.name) == ("+221 1", "restricted", "Aminata Diallo")


def test_unreadable_files_give_one_error(seeded, tmp_path):
    cases = {
        "latin1.csv": "state,role,emails\nCI,mission,m@example.org,Côte\n".encode("latin-1"),
        "broken.xlsx": b"PK\x03\x04" + b"\x00" * 200,
        "picture.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "empty.csv": b"",
    }
    for name, raw in cases.items():
        path = tmp_path / name
        path.write_bytes(raw)
        result = import_file(seeded, path, actor="test")
        assert len(result.errors) == 1 and result.errors[0].row == 0, (name, result.errors)
    assert _contacts(seeded) == []


def test_progress_is_reported(seeded, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(GOOD, encoding="utf-8")
    seen = []
    import_file(seeded, path, actor="test", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_states_are_recognised_by_un_and_cldr_names(seeded, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(
        "state,role,emails\n"
        "Russian Federation,mission,mission.ru@example.net\n"
        "russia,focal_point,fp.ru@example.org\n"
        "St. Kitts & Nevis,mission,mission.kn@example.net\n"
        "cote d'ivoire,mission,mission.ci@example.net\n"
        "Китай,mission,mission.cn@example.net\n",
        encoding="utf-8",
    )
    result = import_file(seeded, path, actor="test")
    assert result.ok, result.errors
    assert [c.state_code for c in _contacts(seeded)] == ["RU", "RU", "KN", "CI", "CN"]
