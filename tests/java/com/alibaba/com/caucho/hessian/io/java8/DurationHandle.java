// A stand-in for Dubbo hessian-lite's DurationHandle; fields reversed from hessian-lite's declaration (seconds,
// nanos) so that Caucho writes them in hessian-lite's order (see LocalDateHandle.java).
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.Duration;

public class DurationHandle implements Serializable {
    private int nanos;
    private long seconds;

    public DurationHandle() {}

    public DurationHandle(Duration duration) {
        seconds = duration.getSeconds();
        nanos = duration.getNano();
    }

    private Object readResolve() {
        try {
            return Duration.ofSeconds(seconds, nanos);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
