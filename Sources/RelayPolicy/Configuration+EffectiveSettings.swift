extension Configuration {
    /// Every key of relayguard.conf(5), in table order, with its value written back in
    /// configuration syntax, as `relayguard check-config` prints them (like `postconf`).
    ///
    /// Lists are joined with `, `; an empty list or an unset path is an empty value;
    /// durations use the largest unit that writes them whole (`300s` prints as `5m`).
    /// The printed `key = value` lines parse back to an equal `Configuration`.
    public var effectiveSettings: [(key: String, value: String)] {
        ConfigurationKey.allCases.map { key in (key: key.rawValue, value: renderedValue(of: key)) }
    }

    /// The value of one key in configuration syntax.
    public func renderedValue(of key: ConfigurationKey) -> String {
        func list(_ items: [some CustomStringConvertible]) -> String {
            items.map(\.description).joined(separator: ", ")
        }
        switch key {
        case .listen: return list(listen)
        case .backend: return backend.description
        case .backendClientIdentity: return backendClientIdentity.rawValue
        case .hostname: return hostname
        case .localDomains: return list(localDomains)
        case .relayDomains: return list(relayDomains)
        case .trustedNetworks: return list(trustedNetworks)
        case .recipientCheck: return recipientCheck.rawValue
        case .recipientMap: return recipientMap ?? ""
        case .tarpitDelay: return DurationSyntax.render(tarpitDelay)
        case .tarpitMaxDelay: return DurationSyntax.render(tarpitMaxDelay)
        case .invalidRecipientLimit: return String(invalidRecipientLimit)
        case .harvestBlockTime: return DurationSyntax.render(harvestBlockTime)
        case .errorLimit: return String(errorLimit)
        case .junkCommandLimit: return String(junkCommandLimit)
        case .dnsblSites: return list(dnsblSites)
        case .dnsblThreshold: return String(dnsblThreshold)
        case .dnsblAction: return dnsblAction.rawValue
        case .dnsblTimeout: return DurationSyntax.render(dnsblTimeout)
        case .dnsServers: return list(dnsServers)
        case .bareNewline: return bareNewline.rawValue
        case .maxConnections: return String(maxConnections)
        case .maxConnectionsPerClient: return String(maxConnectionsPerClient)
        case .maxRecipients: return String(maxRecipients)
        case .commandTimeout: return DurationSyntax.render(commandTimeout)
        case .dataTimeout: return DurationSyntax.render(dataTimeout)
        case .tlsCertFile: return tlsCertFile ?? ""
        case .tlsKeyFile: return tlsKeyFile ?? ""
        case .log: return log.description
        case .user: return user ?? ""
        case .clientRefusalLimit: return String(clientRefusalLimit)
        case .clientRefusalWindow: return DurationSyntax.render(clientRefusalWindow)
        case .clientIPv6Prefix: return String(clientIPv6Prefix)
        case .metricsListen: return metricsListen?.description ?? ""
        case .controlSocket: return controlSocket ?? ""
        case .shutdownGrace: return DurationSyntax.render(shutdownGrace)
        case .pregreetAction: return pregreetAction.rawValue
        }
    }
}
