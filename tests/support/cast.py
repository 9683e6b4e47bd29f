"""The people of the domain, card and store tests, as domain Persons: Sam (staff) and his line of
management, Maya -> Diane -> Amir -> Dana (the deputy minister). Short ids read well in assertions.
(tests/support/people.py has the demo organisation's people as Teams users, for the HTTP tests.)"""

from __future__ import annotations

from bot.domain.model import Person, Role

SAM = Person("sam", "Sam Chen", Role.STAFF)
MAYA = Person("maya", "Maya Singh", Role.MANAGER)
DIANE = Person("diane", "Diane Tremblay", Role.DIRECTOR)
AMIR = Person("amir", "Amir Haddad", Role.ADM)
DANA = Person("dana", "Dana Morel", Role.DM)
LINE = (MAYA, DIANE, AMIR, DANA)  # Sam's line of management, nearest first (a tuple: shared, never changed)
