"""The JSON API for operators: today's runs, run sheets and run events, with an OpenAPI document."""
