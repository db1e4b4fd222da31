-- Smart charging per site (Volttime's off-peak and day-ahead pricing) and day-ahead prices per
-- price zone. Times of day are minutes after local midnight; prices are in the unit they were
-- uploaded in.
CREATE TABLE site_smart_charging (
    site_id BIGINT PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
    mode TEXT NOT NULL,
    strategy TEXT NOT NULL,
    threshold BIGINT,
    off_peak_start BIGINT NOT NULL,
    off_peak_end BIGINT NOT NULL,
    tariff_zone TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE day_ahead_prices (
    location TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    price DOUBLE PRECISION NOT NULL,
    price_includes_tax BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (location, timestamp)
);
