// A stand-in for Dubbo hessian-lite's InstantHandle; fields reversed from hessian-lite's declaration (seconds,
// nanos) so that Caucho writes them in hessian-lite's order (see LocalDateHandle.java).
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.Instant;

public class InstantHandle implements Serializable {
    private int nanos;
    private long seconds;

    public InstantHandle() {}

    public InstantHandle(Instant instant) {
        seconds = instant.getEpochSecond();
        nanos = instant.getNano();
    }

    private Object readResolve() {
        try {
            return Instant.ofEpochSecond(seconds, nanos);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
