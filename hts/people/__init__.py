"""Reference data every domain uses: schools, pupils, home addresses and geocoding."""
